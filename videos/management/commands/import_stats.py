import csv
import json
import time
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from videos.services import INGEST_COUNTERS, StatsRejected, video_stats_ingest

CHUNK = 1000  # lines per transaction
MAX_LISTED = 50  # rejected lines printed one by one; the rest are counted


def _int_or_text(value: str):
    """ASCII digits become an int (range-checked by validation); anything else stays text and is rejected.

    str.isdigit() alone also accepts "²" (which int() refuses) and other scripts' digits.
    """
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 40 else text


def _json_lines(handle):
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON: {exc.msg}"
        except (ValueError, RecursionError) as exc:  # a number too long to convert, nesting too deep
            yield number, None, f"not JSON: {str(exc)[:100]}"


def _csv_rows(handle):
    reader = csv.DictReader(handle)
    columns = {"vid", *INGEST_COUNTERS}
    missing = columns - set(reader.fieldnames or [])
    if missing:
        raise CommandError(f"CSV header lacks: {', '.join(sorted(missing))}")
    extra = [name for name in reader.fieldnames if name not in columns]
    if extra:  # else every line would be rejected for the same unknown keys
        raise CommandError(f"CSV header has unknown columns: {', '.join(map(repr, extra))}")
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over the csv module's size limit; the reader goes on
            yield reader.line_num + 1, None, f"bad CSV: {exc}"
            continue
        if None in row:
            yield reader.line_num, None, "more fields than the header"
            continue
        yield reader.line_num, {k: _int_or_text(v) for k, v in row.items()}, None


class Command(BaseCommand):
    help = "Import absolute stat counts from JSON lines or CSV (vid, view, like, coin, fav, share, reply, danmaku)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file extension")

    def handle(self, *args, file: Path, format: str | None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        fmt = format or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
        started = time.monotonic()
        written, rejected = 0, []
        # utf-8-sig: a byte-order mark (as spreadsheet exports write) is not part of the first header or line
        with file.open(newline="", encoding="utf-8-sig") as handle:
            lines = _csv_rows(handle) if fmt == "csv" else _json_lines(handle)
            try:
                while chunk := list(islice(lines, CHUNK)):
                    good = []
                    for number, item, problem in chunk:
                        if problem:
                            rejected.append((number, problem))
                        else:
                            good.append((number, item))
                    written += self._ingest(good, rejected)
                    self.stderr.write(f"  line {chunk[-1][0]:,}: {written:,} written, {len(rejected):,} rejected")
            except UnicodeDecodeError as exc:
                raise CommandError(
                    f"{file}: not UTF-8 ({exc.reason}); stopped after writing {written:,} stats of earlier chunks"
                ) from exc
        elapsed = time.monotonic() - started
        rejected.sort(key=lambda r: r[0] or 0)
        for number, reason in rejected[:MAX_LISTED]:
            self.stdout.write(f"line {number}: {reason}")
        if len(rejected) > MAX_LISTED:
            self.stdout.write(f"... and {len(rejected) - MAX_LISTED:,} more rejected lines")
        self.stdout.write(
            f"imported {written:,} stats, rejected {len(rejected):,} lines in {elapsed:.1f} s from {file.name}"
        )

    @staticmethod
    def _ingest(good: list[tuple[int, dict]], rejected: list) -> int:
        """Write one chunk in one transaction; invalid lines are rejected and the rest retried.

        The ingest is all or nothing, so its rejections (a bad value, an unknown or duplicate
        vid, a video deleted meanwhile) are taken out and the remaining lines written.
        """
        while good:
            try:
                return video_stats_ingest(items=[item for _, item in good])
            except StatsRejected as exc:
                bad = set()
                for error in exc.errors:
                    bad.add(error["index"])
                    reasons = "; ".join(f"{k}: {v}" for k, v in error["errors"].items())
                    rejected.append((good[error["index"]][0], reasons))
                good = [line for i, line in enumerate(good) if i not in bad]
        return 0

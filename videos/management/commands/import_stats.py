import csv
import json
import time
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from videos.services import INGEST_COUNTERS, StatsRejected, video_stats_ingest, video_stats_validate

CHUNK = 1000  # lines per transaction
MAX_LISTED = 50  # rejected lines printed one by one; the rest are counted


def _int_or_text(value: str):
    text = (value or "").strip()
    return int(text) if text.isdigit() else text


def _json_lines(handle):
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON: {exc.msg}"


def _csv_rows(handle):
    reader = csv.DictReader(handle)
    missing = {"vid", *INGEST_COUNTERS} - set(reader.fieldnames or [])
    if missing:
        raise CommandError(f"CSV header lacks: {', '.join(sorted(missing))}")
    for row in reader:
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
        with file.open(newline="", encoding="utf-8") as handle:
            lines = _csv_rows(handle) if fmt == "csv" else _json_lines(handle)
            while chunk := list(islice(lines, CHUNK)):
                good = []
                for number, item, problem in chunk:
                    if problem:
                        rejected.append((number, problem))
                    else:
                        good.append((number, item))
                errors = video_stats_validate(items=[item for _, item in good])
                bad = {e["index"] for e in errors}
                for error in errors:
                    reasons = "; ".join(f"{k}: {v}" for k, v in error["errors"].items())
                    rejected.append((good[error["index"]][0], reasons))
                items = [item for i, (_, item) in enumerate(good) if i not in bad]
                try:
                    written += video_stats_ingest(items=items)
                except StatsRejected as exc:  # a video vanished between the two checks
                    for error in exc.errors:
                        rejected.append((None, f"vid {error['vid']}: {error['errors']}"))
                self.stderr.write(f"  {written:,} written, {len(rejected):,} rejected")
        elapsed = time.monotonic() - started
        rejected.sort(key=lambda r: r[0] or 0)
        for number, reason in rejected[:MAX_LISTED]:
            self.stdout.write(f"line {number}: {reason}")
        if len(rejected) > MAX_LISTED:
            self.stdout.write(f"... and {len(rejected) - MAX_LISTED:,} more rejected lines")
        self.stdout.write(
            f"imported {written:,} stats, rejected {len(rejected):,} lines in {elapsed:.1f} s from {file.name}"
        )

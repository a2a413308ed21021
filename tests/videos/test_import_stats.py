"""manage.py import_stats FILE: JSON lines or CSV, streamed in chunked transactions, with a summary."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hotrank.models import DirtyArchive
from videos.management.commands import import_stats
from videos.models import VideoStat

pytestmark = pytest.mark.django_db

COUNTERS = ("view", "like", "coin", "fav", "share", "reply", "danmaku")
HEADER = ",".join(("vid", *COUNTERS))


def item(vid, **counts):
    return {"vid": vid, **{name: 10 * vid % 1000 + i for i, name in enumerate(COUNTERS)}, **counts}


def counts_of(vid):
    stat = VideoStat.objects.get(vid=vid)
    return {"view": stat.view, "like": stat.like_count, "coin": stat.coin, "fav": stat.fav, "share": stat.share,
            "reply": stat.reply, "danmaku": stat.danmaku}


def expected(entry):
    return {k: entry[k] for k in COUNTERS}


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_stats", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def jsonl(tmp_path, lines, name="stats.jsonl"):
    path = tmp_path / name
    path.write_text("".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def csv_file(tmp_path, rows, header=HEADER, name="stats.csv", prefix=""):
    path = tmp_path / name
    path.write_text(prefix + header + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def csv_row(entry):
    return ",".join(str(entry[k]) for k in ("vid", *COUNTERS))


def rejected_lines(out):
    """{line number: reason} from the summary."""
    result = {}
    for text in out.splitlines():
        if text.startswith("line "):
            number, reason = text[len("line "):].split(": ", 1)
            result[int(number)] = reason
    return result


def summary(out):
    return out.strip().splitlines()[-1]


@pytest.fixture
def videos(make_video):
    return [make_video(stats={"view": 1}) for _ in range(5)]


# --- JSON lines -------------------------------------------------------------------------------


def test_json_lines_are_imported_and_marked_dirty(tmp_path, videos):
    entries = [item(v.vid) for v in videos]
    out, err = run(jsonl(tmp_path, entries))

    for entry in entries:
        assert counts_of(entry["vid"]) == expected(entry)
    assert sorted(DirtyArchive.objects.values_list("oid", flat=True)) == sorted(v.vid for v in videos)
    assert summary(out).startswith("imported 5 stats, rejected 0 lines")
    assert rejected_lines(out) == {}
    assert "5 written" in err  # progress goes to stderr


def test_json_lines_bad_lines_are_rejected_by_number_and_the_rest_written(tmp_path, videos):
    a, b, c, d, e = videos
    lines = [
        item(a.vid, view=111),                  # 1 ok
        '{"vid": 1, "view": ',                  # 2 bad JSON
        item(b.vid, coin=-5),                   # 3 negative count
        item(999_999_999),                      # 4 unknown vid
        "",                                     # 5 blank: skipped, not rejected
        item(c.vid, view=333),                  # 6 ok
        item(c.vid, view=444),                  # 7 duplicate vid within the chunk
        {k: v for k, v in item(d.vid).items() if k != "fav"},  # 8 missing key
        item(e.vid, share=1.5),                 # 9 float
        "[1, 2]",                               # 10 not an object
        item(b.vid, like="7"),                  # 11 string
    ]
    out, _ = run(jsonl(tmp_path, lines))

    reasons = rejected_lines(out)
    assert sorted(reasons) == [2, 3, 4, 7, 8, 9, 10, 11]
    assert reasons[2].startswith("not JSON")
    assert reasons[3] == "coin: must be a non-negative integer"
    assert reasons[4] == "vid: unknown vid"
    assert reasons[7] == "vid: duplicate vid in this batch"
    assert reasons[8].startswith("fav: is required")
    assert reasons[9] == "share: must be a non-negative integer"
    assert reasons[10] == "item: must be an object"
    assert reasons[11] == "like: must be a non-negative integer"
    assert summary(out).startswith("imported 2 stats, rejected 8 lines")
    # the valid lines are written; the rejected ones leave their rows alone
    assert counts_of(a.vid)["view"] == 111
    assert counts_of(c.vid)["view"] == 333  # the first of the duplicates
    assert counts_of(b.vid)["view"] == counts_of(d.vid)["view"] == counts_of(e.vid)["view"] == 1
    assert sorted(DirtyArchive.objects.values_list("oid", flat=True)) == sorted([a.vid, c.vid])


def test_json_lines_that_would_crash_a_parser_are_rejected(tmp_path, videos):
    lines = ['{"vid": ' + "9" * 5000 + "}", "[" * 100_000, item(videos[0].vid, view=5)]
    out, _ = run(jsonl(tmp_path, lines))
    assert sorted(rejected_lines(out)) == [1, 2]
    assert counts_of(videos[0].vid)["view"] == 5


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path, videos):
    path = tmp_path / "bom.jsonl"
    path.write_text("\ufeff" + json.dumps(item(videos[0].vid, view=42)) + "\n", encoding="utf-8")
    out, _ = run(path)
    assert rejected_lines(out) == {}
    assert counts_of(videos[0].vid)["view"] == 42


# --- chunks ---------------------------------------------------------------------------------------


def test_lines_are_written_in_chunks(tmp_path, videos, monkeypatch):
    monkeypatch.setattr(import_stats, "CHUNK", 2)
    calls = []
    real = import_stats.video_stats_ingest

    def spy(*, items):
        calls.append([i["vid"] for i in items])
        return real(items=items)

    monkeypatch.setattr(import_stats, "video_stats_ingest", spy)
    vids = [v.vid for v in videos]
    _, err = run(jsonl(tmp_path, [item(v) for v in vids]))

    assert calls == [vids[0:2], vids[2:4], vids[4:5]]  # one ingest transaction per chunk
    assert len([line for line in err.splitlines() if "written" in line]) == 3  # progress per chunk


def test_a_failing_chunk_leaves_the_committed_chunks(tmp_path, videos, monkeypatch):
    monkeypatch.setattr(import_stats, "CHUNK", 2)
    real = import_stats.video_stats_ingest
    seen = []

    def fail_on_the_second_chunk(*, items):
        seen.append(items)
        if len(seen) == 2:
            raise RuntimeError("database went away")
        return real(items=items)

    monkeypatch.setattr(import_stats, "video_stats_ingest", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        run(jsonl(tmp_path, [item(v.vid, view=900) for v in videos]))

    assert [counts_of(v.vid)["view"] for v in videos] == [900, 900, 1, 1, 1]


def test_a_duplicate_vid_in_another_chunk_is_written_last_wins(tmp_path, videos, monkeypatch):
    monkeypatch.setattr(import_stats, "CHUNK", 2)
    vid = videos[0].vid
    out, _ = run(jsonl(tmp_path, [item(vid, view=1), item(videos[1].vid), item(vid, view=2)]))
    assert rejected_lines(out) == {}
    assert counts_of(vid)["view"] == 2


def test_a_video_deleted_between_check_and_write_rejects_only_its_line(tmp_path, videos, monkeypatch):
    """The ingest is all or nothing; the command takes out what it rejects and writes the rest."""
    from videos import services

    gone = videos[1].vid
    real = services.video_stats_validate
    monkeypatch.setattr(services, "video_stats_validate", lambda *, items: real(items=items) + [
        {"index": i, "vid": gone, "errors": {"vid": "unknown vid"}} for i, x in enumerate(items) if x["vid"] == gone
    ])
    out, _ = run(jsonl(tmp_path, [item(v.vid, view=77) for v in videos[:3]]))

    assert rejected_lines(out) == {2: "vid: unknown vid"}
    assert [counts_of(v.vid)["view"] for v in videos[:3]] == [77, 1, 77]
    assert summary(out).startswith("imported 2 stats, rejected 1 lines")


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_is_imported(tmp_path, videos):
    entries = [item(v.vid) for v in videos]
    out, err = run(csv_file(tmp_path, [csv_row(e) for e in entries]))
    for entry in entries:
        assert counts_of(entry["vid"]) == expected(entry)
    assert summary(out).startswith("imported 5 stats, rejected 0 lines")
    assert "written" in err


def test_csv_columns_in_any_order_with_a_bom(tmp_path, videos):
    header = ",".join(reversed(("vid", *COUNTERS)))
    entry = item(videos[0].vid)
    row = ",".join(str(entry[k]) for k in reversed(("vid", *COUNTERS)))
    out, _ = run(csv_file(tmp_path, [row], header=header, prefix="\ufeff"))
    assert rejected_lines(out) == {}
    assert counts_of(entry["vid"]) == expected(entry)


def test_csv_bad_rows_are_rejected_by_line_number(tmp_path, videos):
    a, b, c, d, e = videos
    rows = [
        csv_row(item(a.vid, view=10)),          # line 2 ok
        csv_row(item(b.vid, view=-3)),          # line 3 negative
        csv_row(item(424_242_424)),             # line 4 unknown vid
        csv_row(item(a.vid, view=11)),          # line 5 duplicate vid in the chunk
        csv_row(item(c.vid, like="1.5")),       # line 6 not an integer
        csv_row(item(d.vid, coin="²")),         # line 7 a digit int() refuses
        csv_row(item(e.vid)) + ",1",            # line 8 more fields than the header
        f"{e.vid},1,2",                         # line 9 too few fields
        csv_row(item(b.vid, view="")),          # line 10 empty cell
        "",                                     # line 11 blank: skipped
        csv_row(item(e.vid, view=55)),          # line 12 ok
    ]
    out, _ = run(csv_file(tmp_path, rows))

    reasons = rejected_lines(out)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert reasons[3] == "view: must be a non-negative integer"
    assert reasons[4] == "vid: unknown vid"
    assert reasons[5] == "vid: duplicate vid in this batch"
    assert reasons[6] == "like: must be a non-negative integer"
    assert reasons[7] == "coin: must be a non-negative integer"
    assert reasons[8] == "more fields than the header"
    assert "must be a non-negative integer" in reasons[9]
    assert reasons[10] == "view: must be a non-negative integer"
    assert summary(out).startswith("imported 2 stats, rejected 8 lines")
    assert counts_of(a.vid)["view"] == 10
    assert counts_of(e.vid)["view"] == 55
    assert [counts_of(v.vid)["view"] for v in (b, c, d)] == [1, 1, 1]


def test_csv_missing_column_is_a_command_error(tmp_path, videos):
    header = HEADER.replace(",danmaku", "")
    with pytest.raises(CommandError, match="danmaku"):
        run(csv_file(tmp_path, ["1,2,3,4,5,6,7"], header=header))
    assert VideoStat.objects.filter(view__gt=1).count() == 0


def test_csv_unknown_column_is_a_command_error(tmp_path, videos):
    with pytest.raises(CommandError, match="title"):
        run(csv_file(tmp_path, [csv_row(item(videos[0].vid)) + ",x"], header=HEADER + ",title"))


def test_an_empty_csv_is_a_command_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="header lacks"):
        run(path)


def test_format_overrides_the_extension(tmp_path, videos):
    path = csv_file(tmp_path, [csv_row(item(videos[0].vid, view=8))], name="export.txt")
    run(path, "--format", "csv")
    assert counts_of(videos[0].vid)["view"] == 8


# --- files --------------------------------------------------------------------------------------


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.jsonl")


def test_a_non_utf8_file_is_a_command_error(tmp_path, videos):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(item(videos[0].vid)).encode() + b"\n\xff\xfe\n")
    with pytest.raises(CommandError, match="not UTF-8"):
        run(path)


def test_many_rejections_are_summarised(tmp_path, videos):
    out, _ = run(jsonl(tmp_path, ["nope"] * (import_stats.MAX_LISTED + 7)))
    assert len(rejected_lines(out)) == import_stats.MAX_LISTED
    assert "... and 7 more rejected lines" in out
    assert summary(out).startswith(f"imported 0 stats, rejected {import_stats.MAX_LISTED + 7:,} lines")

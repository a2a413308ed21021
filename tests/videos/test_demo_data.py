import io
import re
import statistics

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hotrank.models import AcademyArchive
from tests.factories import NOW
from videos import demo
from videos.models import VideoInfo, VideoStat

pytestmark = pytest.mark.django_db

COVER = re.compile(r"^https://i0\.hdslb\.com/bfs/archive/[0-9a-f]{40}\.jpg$")


def snapshot(vids):
    """The seeded rows of `vids`, with vids made relative so two runs can be compared."""
    first = min(vids)
    info = VideoInfo.objects.filter(vid__in=vids).order_by("vid").values_list(
        "vid", "title", "cover", "author_id", "author_name", "region_id", "duration", "description", "pub_time",
        "state")
    stat = VideoStat.objects.filter(vid__in=vids).order_by("vid").values_list(*demo.STAT_FIELDS)
    return [(r[0] - first, *r[1:]) for r in info], [(r[0] - first, *r[1:]) for r in stat]


def test_seed_demo_creates_consistent_realistic_rows():
    out = io.StringIO()
    call_command("seed_demo", videos=500, seed=3, now=NOW, stdout=out)

    assert "seeded 500 videos" in out.getvalue()
    videos = {v.vid: v for v in VideoInfo.objects.all()}
    stats = {s.vid: s for s in VideoStat.objects.all()}
    archives = list(AcademyArchive.objects.all())
    assert len(videos) == len(stats) == len(archives) == 500
    assert stats.keys() == videos.keys()
    for a in archives:
        v = videos[a.oid]
        assert (a.region_id, a.pub_time) == (v.region_id, v.pub_time)
        assert (a.business, a.state, a.hot) == (1, 0, 0)

    assert len({v.region_id for v in videos.values()}) >= 10
    assert all(NOW - 30 * 86400 < v.pub_time <= NOW for v in videos.values())
    assert sum(v.pub_time >= NOW - 86400 for v in videos.values()) >= 10  # the boost window gets some
    assert 1 <= sum(v.state == 1 for v in videos.values()) <= 20
    assert all(COVER.match(v.cover) and v.title and v.author_name for v in videos.values())

    views = sorted(s.view for s in stats.values())
    assert views[-1] > 50 * statistics.median(views)  # heavy tail
    by_view = sorted(stats.values(), key=lambda s: s.view)
    low, high = by_view[:100], by_view[-100:]
    for field in ("like_count", "coin", "fav", "share", "reply", "danmaku"):  # engagement follows views
        assert statistics.median(getattr(s, field) for s in high) > 10 * statistics.median(
            getattr(s, field) for s in low)
    assert all(s.like_count <= s.view for s in stats.values())


def test_same_seed_same_data_and_repeated_runs_append(monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 128)  # several chunks, and a short last one
    progress = []

    assert demo.demo_data_seed(videos=300, seed=5, now=NOW, on_progress=lambda d, t: progress.append(d)) == 300
    assert progress == [128, 256, 300]
    first = sorted(VideoInfo.objects.values_list("vid", flat=True))
    assert demo.demo_data_seed(videos=300, seed=5, now=NOW) == 300
    second = sorted(set(VideoInfo.objects.values_list("vid", flat=True)) - set(first))

    assert VideoInfo.objects.count() == VideoStat.objects.count() == AcademyArchive.objects.count() == 600
    assert second == list(range(first[-1] + 1, first[-1] + 301))
    assert snapshot(first) == snapshot(second)
    demo.demo_data_seed(videos=300, seed=6, now=NOW)
    third = sorted(VideoInfo.objects.values_list("vid", flat=True))[600:]
    assert snapshot(third) != snapshot(first)


def test_vids_start_above_any_vid_in_use():
    AcademyArchive.objects.create(oid=5_000_000)  # an archive whose video row is missing
    demo.demo_data_seed(videos=10, now=NOW)
    assert min(VideoInfo.objects.values_list("vid", flat=True)) == 5_000_001


def test_insert_escapes_quotes_and_backslashes():
    title = "Xi'an \\ 100% 'quoted' \\' ; --"
    row = (42, title, "", 1, "it's me", 1, 60, "a\\b", NOW, 0)
    with connection.cursor() as cursor:
        demo._insert(cursor, VideoInfo, demo.INFO_FIELDS, demo._renderer()([row]))
    video = VideoInfo.objects.get(vid=42)
    assert (video.title, video.author_name, video.description) == (title, "it's me", "a\\b")


@pytest.mark.parametrize("videos", [0, -5])
def test_seed_demo_rejects_non_positive_videos(videos):
    with pytest.raises(CommandError, match="--videos must be a positive integer"):
        call_command("seed_demo", videos=videos)
    assert not VideoInfo.objects.exists()


def test_seed_demo_requires_videos():
    with pytest.raises(CommandError, match="--videos"):
        call_command("seed_demo")


def test_demo_fixture_loads():
    call_command("loaddata", "demo", verbosity=0)

    videos = {v.vid: v for v in VideoInfo.objects.all()}
    assert len(videos) == VideoStat.objects.count() == AcademyArchive.objects.count() == 60
    assert sum(v.state == 1 for v in videos.values()) == 2
    assert len({v.region_id for v in videos.values()}) >= 10
    assert all(COVER.match(v.cover) for v in videos.values())
    assert any(re.search(r"[\u4e00-\u9fff]", v.title) for v in videos.values())
    assert any(re.fullmatch(r"[\x20-\x7e]+", v.title) for v in videos.values())
    for a in AcademyArchive.objects.all():
        assert (a.region_id, a.pub_time, a.business) == (videos[a.oid].region_id, videos[a.oid].pub_time, 1)

"""With Redis unreachable every route answers from the database; the failures are logged, never raised."""

import logging

import pytest

from hotrank.models import AcademyArchive
from tests.api.helpers import error, ok_data
from videos.models import VideoInfo
from videos.services import video_info_update

pytestmark = pytest.mark.django_db

@pytest.fixture
def data(make_video):
    videos = [make_video(stats={"view": 100 * (i + 1)}, region_id=1 + i % 2) for i in range(6)]
    for i, video in enumerate(videos):
        AcademyArchive.objects.filter(oid=video.vid).update(hot=10 * (i + 1))
    deleted = make_video(video_state=1)
    return videos, deleted


def test_every_route_answers_from_the_database(api, data, redis_down, caplog):
    videos, deleted = data
    top = videos[-1].vid
    with caplog.at_level(logging.WARNING, logger="mybili.cache"):
        page = ok_data(api.get("/api/creative/v1/hotrank/list"))
        assert [item["oid"] for item in page["list"]] == [v.vid for v in reversed(videos)]
        assert page["total"] == 6
        page = ok_data(api.get("/api/creative/v1/hotrank/list", {"limit": 2}))
        cursor_page = ok_data(api.get("/api/creative/v1/hotrank/list", {"limit": 2, "cursor": page["next_cursor"]}))
        assert [item["rank"] for item in cursor_page["list"]] == [3, 4]
        region = ok_data(api.get("/api/creative/v1/hotrank/region", {"region_id": 2}))
        assert region["total"] == 3 and {item["region_id"] for item in region["list"]} == {2}
        assert ok_data(api.get("/api/creative/v1/hotrank/region", {"region_id": 9})) == {
            "list": [], "total": 0, "next_cursor": None}
        assert ok_data(api.get(f"/api/creative/v1/video/{top}"))["video"]["hot"] == 60
        assert ok_data(api.get(f"/api/video/v1/videos/{top}"))["info"]["vid"] == top
        assert ok_data(api.get(f"/api/video/v1/videos/{top}/stat"))["stat"]["view"] == 600
        infos = ok_data(api.get("/api/video/v1/videos/batch", {"vids": f"{top},{deleted.vid},1"}))
        assert list(infos["infos"]) == [str(top)]
        stats = ok_data(api.get("/api/video/v1/stats/batch", {"vids": f"{top},{deleted.vid},1"}))
        assert list(stats["stats"]) == [str(top)]
        listed = ok_data(api.get("/api/video/v1/videos", {"limit": 100}))
        assert len(listed["list"]) == 6
        assert ok_data(api.get(f"/api/hotrank/v1/hot/{top}")) == {"oid": top, "business": 1, "hot": 60, "rank": 1}
        # the expected errors stay what they are
        error(api.get(f"/api/video/v1/videos/{deleted.vid}"), 404, 10001)
        error(api.get("/api/video/v1/videos/424242"), 404, 10001)
        error(api.get(f"/api/hotrank/v1/hot/{deleted.vid}"), 404, 11001)
        error(api.get("/api/creative/v1/hotrank/list", {"limit": 0}), 400, 1002)
        error(api.get("/api/creative/v1/hotrank/region"), 400, 1002)
        error(api.get("/api/nope"), 404, 1006)
        error(api.post("/api/creative/v1/hotrank/list"), 405, 1007)
    warnings = [r for r in caplog.records if r.name == "mybili.cache" and r.levelno == logging.WARNING]
    assert warnings
    assert all("falling back to the database" in r.getMessage() for r in warnings)
    ops = {r.getMessage().split()[1] for r in warnings}
    assert {"get", "throttle"} <= ops, ops


def test_edits_still_commit_when_the_cache_cannot_be_cleared(api, data, redis_down, caplog,
                                                             django_capture_on_commit_callbacks):
    video = data[0][0]
    with caplog.at_level(logging.WARNING, logger="mybili.cache"):
        with django_capture_on_commit_callbacks(execute=True):
            video_info_update(video=video, fields={"title": "edited while Redis is down"})
        assert ok_data(api.get(f"/api/video/v1/videos/{video.vid}"))["info"]["title"] == "edited while Redis is down"
    assert VideoInfo.objects.get(vid=video.vid).title == "edited while Redis is down"
    assert any("cache delete failed" in r.getMessage() for r in caplog.records)

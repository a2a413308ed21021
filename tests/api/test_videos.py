"""The video routes: shapes, deleted videos, batches and the cursor list."""

import pytest

from hotrank.models import AcademyArchive
from tests.api.helpers import error, ok_data
from tests.factories import VideoInfoFactory, VideoStatFactory

pytestmark = pytest.mark.django_db

INFO_KEYS = {"vid", "title", "cover", "author_id", "author_name", "region_id", "pub_time", "duration", "desc", "state"}
STAT_KEYS = {"vid", "view", "like", "coin", "fav", "share", "reply", "danmaku"}
DETAIL_KEYS = (INFO_KEYS - {"state"}) | (STAT_KEYS - {"vid"}) | {"hot"}


@pytest.fixture
def video():
    info = VideoInfoFactory(title="标题 & <b>", description="about", duration=61)
    VideoStatFactory(vid=info.vid, view=11, like_count=12, coin=13, fav=14, share=15, reply=16, danmaku=17)
    return info


@pytest.fixture
def deleted():
    info = VideoInfoFactory(state=1)
    VideoStatFactory(vid=info.vid)
    return info


def test_info(api, video):
    info = ok_data(api.get(f"/api/video/v1/videos/{video.vid}"))["info"]
    assert info == {
        "vid": video.vid, "title": "标题 & <b>", "cover": video.cover, "author_id": video.author_id,
        "author_name": video.author_name, "region_id": video.region_id, "pub_time": video.pub_time, "duration": 61,
        "desc": "about", "state": 0,
    }


def test_stat(api, video):
    stat = ok_data(api.get(f"/api/video/v1/videos/{video.vid}/stat"))["stat"]
    assert stat == {"vid": video.vid, "view": 11, "like": 12, "coin": 13, "fav": 14, "share": 15, "reply": 16,
                    "danmaku": 17}


def test_stat_missing_row_is_10002(api):
    info = VideoInfoFactory()
    error(api.get(f"/api/video/v1/videos/{info.vid}/stat"), 404, 10002)


def test_creative_detail(api, video):
    AcademyArchive.objects.create(oid=video.vid, hot=4321, region_id=video.region_id)
    detail = ok_data(api.get(f"/api/creative/v1/video/{video.vid}"))
    assert set(detail) == {"video"}
    assert set(detail["video"]) == DETAIL_KEYS
    assert detail["video"]["hot"] == 4321
    assert (detail["video"]["view"], detail["video"]["danmaku"], detail["video"]["desc"]) == (11, 17, "about")


def test_creative_detail_out_of_the_ranking_and_without_stat(api):
    info = VideoInfoFactory()
    detail = ok_data(api.get(f"/api/creative/v1/video/{info.vid}"))["video"]
    assert detail["hot"] == 0 and detail["view"] == 0 and detail["like"] == 0


@pytest.mark.parametrize(
    "route", ["/api/creative/v1/video/{}", "/api/video/v1/videos/{}", "/api/video/v1/videos/{}/stat"]
)
def test_deleted_video_is_404_code_10001(api, deleted, route):
    assert str(deleted.vid) in error(api.get(route.format(deleted.vid)), 404, 10001)


def test_deleted_video_is_not_in_the_ranking_either(api, deleted):
    AcademyArchive.objects.create(oid=deleted.vid, hot=99, region_id=deleted.region_id)
    error(api.get(f"/api/hotrank/v1/hot/{deleted.vid}"), 404, 11001)


def test_batches_leave_out_unknown_and_deleted(api, video, deleted):
    other = VideoInfoFactory()  # no stat row
    vids = f"{video.vid},{deleted.vid},{other.vid},{video.vid},777777"
    infos = ok_data(api.get("/api/video/v1/videos/batch", {"vids": vids}))
    assert set(infos) == {"infos"}
    assert set(infos["infos"]) == {str(video.vid), str(other.vid)}
    assert all(set(i) == INFO_KEYS for i in infos["infos"].values())
    assert infos["infos"][str(video.vid)]["title"] == "标题 & <b>"
    stats = ok_data(api.get("/api/video/v1/stats/batch", {"vids": vids}))
    assert stats == {"stats": {str(video.vid): {"vid": video.vid, "view": 11, "like": 12, "coin": 13, "fav": 14,
                                                "share": 15, "reply": 16, "danmaku": 17}}}


def test_batches_of_nothing_known(api):
    assert ok_data(api.get("/api/video/v1/videos/batch", {"vids": "5,6"})) == {"infos": {}}
    assert ok_data(api.get("/api/video/v1/stats/batch", {"vids": "5,6"})) == {"stats": {}}


def test_batch_answers_the_same_from_the_cache(api, video, deleted):
    vids = {"vids": f"{video.vid},{deleted.vid},424242"}
    first = ok_data(api.get("/api/video/v1/videos/batch", vids))
    assert ok_data(api.get("/api/video/v1/videos/batch", vids)) == first
    assert ok_data(api.get("/api/video/v1/stats/batch", vids)) == ok_data(api.get("/api/video/v1/stats/batch", vids))


def test_cursor_list_walks_normal_videos_in_vid_order(api):
    vids = [VideoInfoFactory(state=1 if i % 3 == 0 else 0).vid for i in range(10)]
    normal = [v for i, v in enumerate(vids) if i % 3 != 0]
    seen, last_vid = [], 0
    while True:
        page = ok_data(api.get("/api/video/v1/videos", {"last_vid": last_vid, "limit": 2}))
        assert set(page) == {"list", "next_last_vid", "has_more"}
        assert all(set(i) == INFO_KEYS and i["state"] == 0 for i in page["list"])
        seen += [i["vid"] for i in page["list"]]
        if page["list"]:
            assert page["next_last_vid"] == page["list"][-1]["vid"]
        last_vid = page["next_last_vid"]
        if not page["has_more"]:
            break
    assert seen == normal
    end = ok_data(api.get("/api/video/v1/videos", {"last_vid": last_vid}))
    assert end == {"list": [], "next_last_vid": last_vid, "has_more": False}


def test_cursor_list_defaults(api):
    for _ in range(3):
        VideoInfoFactory()
    page = ok_data(api.get("/api/video/v1/videos"))
    assert len(page["list"]) == 3 and page["has_more"] is False

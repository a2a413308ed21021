"""List routes cost a constant number of queries whatever the page size: at most 3 uncached, 0 cached."""

import pytest

from tests.api.conftest import clear_cache
from tests.api.helpers import ok_data
from tests.factories import VideoInfoFactory, VideoStatFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(make_video):
    videos = [make_video(stats={"view": i}, region_id=1) for i in range(120)]
    for _ in range(5):
        VideoStatFactory(vid=VideoInfoFactory(state=1).vid)  # deleted ones in the way
    return [v.vid for v in videos]


def batch(vids, size):
    return ",".join(str(v) for v in vids[:size])


# route -> (query for a page of n, queries uncached). A cold ranking reads the generation
# row, the total and the page; a warm process skips all three.
ROUTES = {
    "ranking": ("/api/creative/v1/hotrank/list", lambda vids, n: {"limit": n}, 3),
    "ranking deep": ("/api/creative/v1/hotrank/list", lambda vids, n: {"limit": n, "offset": 10}, 3),
    "region": ("/api/creative/v1/hotrank/region", lambda vids, n: {"region_id": 1, "limit": n}, 3),
    "info batch": ("/api/video/v1/videos/batch", lambda vids, n: {"vids": batch(vids, n)}, 1),
    "stat batch": ("/api/video/v1/stats/batch", lambda vids, n: {"vids": batch(vids, n)}, 2),
}


@pytest.mark.parametrize("name", list(ROUTES))
def test_cached_list_routes(api, many, django_assert_num_queries, name):
    path, query, uncached = ROUTES[name]
    assert uncached <= 3
    for n in (1, 100):
        clear_cache()
        with django_assert_num_queries(uncached):
            data = ok_data(api.get(path, query(many, n)))
        with django_assert_num_queries(0):
            assert ok_data(api.get(path, query(many, n))) == data
        assert len(data.get("list") or data.get("infos") or data.get("stats")) == n


def test_ranking_cursor_pages(api, many, django_assert_num_queries):
    """Keyset pages are not cached (too many); the total is, so a page is one index seek."""
    first = ok_data(api.get("/api/creative/v1/hotrank/list", {"limit": 1}))
    for n in (1, 100):
        with django_assert_num_queries(1):
            page = ok_data(api.get("/api/creative/v1/hotrank/list", {"limit": n, "cursor": first["next_cursor"]}))
        assert len(page["list"]) == min(n, 119)


def test_video_cursor_list(api, many, django_assert_num_queries):
    """The cursor list is not cached: one keyset query, whatever the limit."""
    for n in (1, 100):
        with django_assert_num_queries(1):
            assert len(ok_data(api.get("/api/video/v1/videos", {"limit": n}))["list"]) == n


def test_video_detail(api, many, django_assert_num_queries):
    with django_assert_num_queries(4):  # info, stat, the generation, and the archive's hot (no rank count)
        ok_data(api.get(f"/api/creative/v1/video/{many[0]}"))
    with django_assert_num_queries(0):
        ok_data(api.get(f"/api/creative/v1/video/{many[0]}"))

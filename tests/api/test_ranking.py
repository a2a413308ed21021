"""Ranking pages: shape, order (hot DESC, id DESC), rank, total, eligibility, cursor paging."""

import pytest

from hotrank.models import AcademyArchive
from tests.api.helpers import ok_data
from tests.factories import NOW, AcademyArchiveFactory, VideoInfoFactory, VideoStatFactory
from videos.models import VideoInfo, VideoStat

pytestmark = pytest.mark.django_db

LIST = "/api/creative/v1/hotrank/list"
REGION = "/api/creative/v1/hotrank/region"
ITEM_KEYS = {"oid", "hot", "rank", "title", "cover", "author", "view", "like", "region_id", "region_name", "pub_time"}

# hot values with plenty of ties, over three regions
HOTS = [500, 300, 300, 300, 120, 120, 90, 90, 90, 90, 60, 5, 5, 0, 0, 0, -3]


@pytest.fixture
def pool():
    """Eligible archives, plus ones that must never be listed or counted."""
    archives = []
    for i, hot in enumerate(HOTS):
        video = VideoInfoFactory(region_id=1 + i % 3)
        if i % 4 != 3:  # some videos have no stat row: view and like are 0
            VideoStatFactory(vid=video.vid, view=1000 + i, like_count=10 + i)
        archives.append(AcademyArchiveFactory(oid=video.vid, hot=hot, region_id=video.region_id,
                                              pub_time=video.pub_time))
    # not eligible: a deleted video, a missing video, a removed archive, another business
    deleted = VideoInfoFactory(region_id=1, state=1)
    AcademyArchiveFactory(oid=deleted.vid, hot=10_000, region_id=1)
    AcademyArchiveFactory(oid=99_999_999, hot=10_000, region_id=1)
    removed = VideoInfoFactory(region_id=1)
    AcademyArchiveFactory(oid=removed.vid, hot=10_000, region_id=1, state=1)
    article = VideoInfoFactory(region_id=1)
    AcademyArchiveFactory(oid=article.vid, hot=10_000, region_id=1, business=2)
    return archives


def expected(archives, region_id=None):
    chosen = [a for a in archives if region_id is None or a.region_id == region_id]
    return [a.oid for a in sorted(chosen, key=lambda a: (a.hot, a.id), reverse=True)]


def walk_offsets(api, route, query, limit):
    items, offset = [], 0
    while True:
        page = ok_data(api.get(route, query | {"offset": offset, "limit": limit}))
        if not page["list"]:
            return items, page["total"]
        items += page["list"]
        offset += limit


def walk_cursors(api, route, query, limit):
    items, cursor, pages = [], None, 0
    while True:
        page = ok_data(api.get(route, query | {"limit": limit} | ({"cursor": cursor} if cursor else {})))
        items += page["list"]
        pages += 1
        assert pages <= len(HOTS) + 2
        cursor = page["next_cursor"]
        if cursor is None:  # only a short page ends the walk
            assert len(page["list"]) < limit
            return items, page["total"]
        assert len(page["list"]) == limit


def test_global_page_shape_and_values(api, pool):
    page = ok_data(api.get(LIST))
    assert set(page) == {"list", "total", "next_cursor"}
    assert page["total"] == len(HOTS)
    assert page["next_cursor"] is None  # fewer than a page
    assert [item["oid"] for item in page["list"]] == expected(pool)
    assert [item["rank"] for item in page["list"]] == list(range(1, len(HOTS) + 1))
    by_oid = {a.oid: a for a in pool}
    for item in page["list"]:
        assert set(item) == ITEM_KEYS
        archive = by_oid[item["oid"]]
        video = archive_video(archive)
        stat = video.get("stat")
        assert item["hot"] == archive.hot
        assert item["title"] == video["info"].title
        assert item["cover"] == video["info"].cover
        assert item["author"] == video["info"].author_name
        assert item["region_id"] == archive.region_id
        assert item["pub_time"] == video["info"].pub_time
        assert (item["view"], item["like"]) == ((stat.view, stat.like_count) if stat else (0, 0))


def archive_video(archive):
    return {"info": VideoInfo.objects.get(vid=archive.oid), "stat": VideoStat.objects.filter(vid=archive.oid).first()}


@pytest.mark.parametrize("region_id", [1, 2, 3])
def test_region_page_lists_only_that_region(api, pool, region_id):
    page = ok_data(api.get(REGION, {"region_id": region_id}))
    assert [item["oid"] for item in page["list"]] == expected(pool, region_id)
    assert page["total"] == len(expected(pool, region_id))
    assert {item["region_id"] for item in page["list"]} == {region_id}
    assert [item["rank"] for item in page["list"]] == list(range(1, page["total"] + 1))


def test_region_without_archives_is_an_empty_list(api, pool):
    assert ok_data(api.get(REGION, {"region_id": 77})) == {"list": [], "total": 0, "next_cursor": None}


def test_empty_pool(api):
    assert ok_data(api.get(LIST)) == {"list": [], "total": 0, "next_cursor": None}


def test_rank_is_offset_plus_position_plus_one(api, pool):
    page = ok_data(api.get(LIST, {"offset": 5, "limit": 4}))
    assert [item["rank"] for item in page["list"]] == [6, 7, 8, 9]
    assert [item["oid"] for item in page["list"]] == expected(pool)[5:9]
    assert page["total"] == len(HOTS)


def test_deleting_a_listed_video_removes_it_from_list_and_total(api, pool):
    top = expected(pool)[0]
    VideoInfo.objects.filter(vid=top).update(state=1)
    page = ok_data(api.get(LIST))
    assert top not in [item["oid"] for item in page["list"]]
    assert page["total"] == len(HOTS) - 1
    assert page["list"][0]["rank"] == 1


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 17, 100])
@pytest.mark.parametrize("region_id", [None, 1, 2])
def test_cursor_paging_yields_the_offset_sequence(api, pool, limit, region_id):
    route, query = (LIST, {}) if region_id is None else (REGION, {"region_id": region_id})
    by_offset, total = walk_offsets(api, route, query, limit)
    by_cursor, cursor_total = walk_cursors(api, route, query, limit)
    assert by_cursor == by_offset
    assert [item["oid"] for item in by_cursor] == expected(pool, region_id)
    assert [item["rank"] for item in by_cursor] == list(range(1, len(by_cursor) + 1))
    assert total == cursor_total == len(by_cursor)


def test_cursor_continues_across_a_tie(api, pool):
    # HOTS[1:4] are three 300s: a page boundary inside them must not skip or repeat one
    first = ok_data(api.get(LIST, {"limit": 2}))
    assert [i["hot"] for i in first["list"]] == [500, 300]
    second = ok_data(api.get(LIST, {"limit": 2, "cursor": first["next_cursor"]}))
    assert [i["hot"] for i in second["list"]] == [300, 300]
    assert [i["oid"] for i in first["list"] + second["list"]] == expected(pool)[:4]
    assert [i["rank"] for i in second["list"]] == [3, 4]


def test_cursor_replaces_offset(api, pool):
    first = ok_data(api.get(LIST, {"limit": 3}))
    with_offset = ok_data(api.get(LIST, {"limit": 3, "offset": 9, "cursor": first["next_cursor"]}))
    assert [i["rank"] for i in with_offset["list"]] == [4, 5, 6]


def test_hot_by_oid_agrees_with_the_ranking(api, pool):
    ranking = ok_data(api.get(LIST))["list"]
    for item in ranking:
        entry = ok_data(api.get(f"/api/hotrank/v1/hot/{item['oid']}"))
        assert entry == {"oid": item["oid"], "business": 1, "hot": item["hot"], "rank": item["rank"]}


def test_hot_by_oid_of_other_business(api, pool):
    article = AcademyArchive.objects.get(business=2)
    entry = ok_data(api.get(f"/api/hotrank/v1/hot/{article.oid}?business=2"))
    assert entry == {"oid": article.oid, "business": 2, "hot": 10_000, "rank": 1}


def test_items_carry_region_names_and_a_rename_reaches_the_cached_ranking(api, make_video,
                                                                         django_capture_on_commit_callbacks):
    from videos.models import Region
    from videos.services import region_save

    make_video(stats={"view": 400}, region_id=4)
    make_video(stats={"view": 800}, region_id=9999)  # a region with no name
    from hotrank.services import hot_recompute

    hot_recompute(now=NOW)
    items = ok_data(api.get(LIST))["list"]
    assert [(i["region_id"], i["region_name"]) for i in items] == [(9999, None), (4, Region.objects.get(id=4).name)]

    with django_capture_on_commit_callbacks(execute=True):
        region_save(region=Region(id=9999, name="new region"))
    items = ok_data(api.get(LIST))["list"]
    assert items[0]["region_name"] == "new region"

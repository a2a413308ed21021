"""The cache: generations and preheating, eviction on commit, one computation per cold key."""

import threading
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from hotrank import selectors
from hotrank.models import AcademyArchive, RankingGeneration
from hotrank.selectors import ranking_generation, ranking_page_key
from hotrank.services import hot_recompute, hot_recompute_incremental, ranking_generation_bump
from mybili import cache as mybili_cache
from tests.api.helpers import error, ok_data
from tests.factories import NOW
from videos.models import VideoInfo
from videos.selectors import video_info_key, video_stat_key
from videos.services import video_info_update, video_stat_set

pytestmark = pytest.mark.django_db

LIST = "/api/creative/v1/hotrank/list"
REGION = "/api/creative/v1/hotrank/region"


@pytest.fixture
def pool(make_video):
    """120 scored videos over three regions, hot 0 until a recompute."""
    return [make_video(stats={"view": 400 * (i + 1)}, region_id=1 + i % 3) for i in range(120)]


def key(gen, region_id=None, offset=0, limit=50):
    return ranking_page_key(gen=gen, business=1, region_id=region_id, offset=offset, limit=limit)


def test_recompute_bumps_the_generation_and_preheats_the_top_pages(api, pool, django_assert_num_queries):
    before = ok_data(api.get(LIST))
    assert {item["hot"] for item in before["list"]} == {0}
    gen = ranking_generation()

    run = hot_recompute(now=NOW)
    assert run.updated == 120

    new_gen = ranking_generation()
    assert new_gen != gen
    for page_key in [key(new_gen), key(new_gen, offset=50)] + [key(new_gen, region_id=r) for r in (1, 2, 3)]:
        assert cache.get(page_key) is not None, page_key
    assert cache.get(key(new_gen, offset=100)) is None  # only the top pages

    # Served from the shared cache with no query, as any other web process would see them.
    selectors._local_pages.clear()
    with django_assert_num_queries(0):
        first = ok_data(api.get(LIST))
        second = ok_data(api.get(LIST, {"offset": 50, "limit": 50}))
        regions = [ok_data(api.get(REGION, {"region_id": r})) for r in (1, 2, 3)]
    # ... and carry the new scores: the page cached before the run is not served any more
    hots = sorted((a.hot for a in AcademyArchive.objects.all()), reverse=True)
    assert [item["hot"] for item in first["list"] + second["list"]] == hots[:100]
    assert [item["rank"] for item in second["list"]] == list(range(51, 101))
    assert all(page["total"] == 40 and len(page["list"]) == 40 for page in regions)


def test_an_incremental_pass_that_changed_nothing_keeps_the_generation(pool):
    hot_recompute(now=NOW)
    gen = ranking_generation()
    run = hot_recompute_incremental(now=NOW + 1)
    assert run.updated == 0
    assert ranking_generation() == gen


def test_a_full_pass_renews_the_totals_even_when_no_score_changed(api, pool):
    hot_recompute(now=NOW)
    assert ok_data(api.get(LIST, {"limit": 1}))["total"] == 120
    VideoInfo.objects.filter(vid=pool[0].vid).update(state=1)  # deleted around the services (plain SQL)
    hot_recompute(now=NOW)
    assert ok_data(api.get(LIST, {"limit": 1}))["total"] == 119


def test_a_flushed_cache_never_restarts_the_generation(api, pool):
    """The generation lives in the database: a flushed Redis cannot hand out an old number again."""
    before = ranking_generation_bump()
    ok_data(api.get(LIST, {"limit": 5}))  # cached in the shared cache and in this process
    cache.clear()  # Redis restarted or flushed
    selectors._memo.update(at=float("-inf"))
    assert ranking_generation() == before
    after = ranking_generation_bump()
    assert [int(p) for p in after.split(".")] > [int(p) for p in before.split(".")]


def test_a_new_generation_is_read_by_every_process(api, pool, settings):
    """A bump by another process (the worker) moves this process off its in-memory pages
    once its copy of the generation is older than RANKING_GENERATION_TTL."""
    settings.RANKING_GENERATION_TTL = 0
    ok_data(api.get(LIST, {"limit": 5}))
    AcademyArchive.objects.filter(oid=pool[7].vid).update(hot=10**9)
    assert ok_data(api.get(LIST, {"limit": 5}))["list"][0]["oid"] != pool[7].vid  # still the cached generation
    RankingGeneration.objects.update_or_create(pk=1, defaults={"scores": 10**17})  # as another process's bump
    assert ok_data(api.get(LIST, {"limit": 5}))["list"][0]["oid"] == pool[7].vid


# --- video keys are deleted on commit -----------------------------------------------


@pytest.fixture
def cached_video(api, make_video):
    video = make_video(stats={"view": 5})
    ok_data(api.get(f"/api/video/v1/videos/{video.vid}"))
    ok_data(api.get(f"/api/video/v1/videos/{video.vid}/stat"))
    assert cache.get(video_info_key(video.vid)) is not None
    assert cache.get(video_stat_key(video.vid)) is not None
    return video


def test_info_edit_deletes_the_video_keys_on_commit(api, cached_video, django_capture_on_commit_callbacks):
    vid = cached_video.vid
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        video_info_update(video=cached_video, fields={"title": "edited"})
        # not before the commit: a reader could re-cache the old row in between
        assert cache.get(video_info_key(vid))["title"] != "edited"
    assert callbacks
    assert cache.get(video_info_key(vid)) is None and cache.get(video_stat_key(vid)) is None
    assert ok_data(api.get(f"/api/video/v1/videos/{vid}"))["info"]["title"] == "edited"


def test_stat_edit_deletes_the_video_keys_on_commit(api, cached_video, django_capture_on_commit_callbacks):
    vid = cached_video.vid
    with django_capture_on_commit_callbacks(execute=True):
        video_stat_set(vid=vid, counts={"view": 777})
        assert cache.get(video_stat_key(vid))["view"] == 5
    assert ok_data(api.get(f"/api/video/v1/videos/{vid}/stat"))["stat"]["view"] == 777
    assert ok_data(api.get("/api/video/v1/stats/batch", {"vids": vid}))["stats"][str(vid)]["view"] == 777


def test_deleting_a_video_answers_404_once_committed(api, cached_video, django_capture_on_commit_callbacks):
    vid = cached_video.vid
    ok_data(api.get("/api/video/v1/videos/batch", {"vids": vid}))
    with django_capture_on_commit_callbacks(execute=True):
        video_info_update(video=cached_video, fields={"state": 1})
    error(api.get(f"/api/video/v1/videos/{vid}"), 404, 10001)
    error(api.get(f"/api/creative/v1/video/{vid}"), 404, 10001)
    assert ok_data(api.get("/api/video/v1/videos/batch", {"vids": vid})) == {"infos": {}}


def test_a_rolled_back_edit_keeps_the_keys(cached_video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            video_info_update(video=cached_video, fields={"title": "never"})
            raise RuntimeError("abort")
    assert callbacks == []
    assert cache.get(video_info_key(cached_video.vid))["title"] != "never"


@pytest.mark.django_db(transaction=True)
def test_a_committed_edit_deletes_the_keys(api, make_video):
    """The same with real commits (transactional test): nothing captured, nothing run by hand."""
    video = make_video()
    ok_data(api.get(f"/api/creative/v1/video/{video.vid}"))
    assert cache.get(video_info_key(video.vid)) is not None
    video_stat_set(vid=video.vid, counts={"danmaku": 4242})
    assert cache.get(video_stat_key(video.vid)) is None
    assert ok_data(api.get(f"/api/creative/v1/video/{video.vid}"))["video"]["danmaku"] == 4242


def test_a_deleted_video_leaves_the_cached_ranking_once_committed(api, pool, django_capture_on_commit_callbacks):
    """Video edits move the ranking generation on commit, so cached pages never keep a deleted video."""
    top = pool[-1].vid  # hot 0 everywhere: the highest id ranks first
    assert ok_data(api.get(LIST, {"limit": 5}))["list"][0]["oid"] == top
    with django_capture_on_commit_callbacks(execute=True):
        video_info_update(video=VideoInfo.objects.get(vid=top), fields={"state": 1})
        assert ok_data(api.get(LIST, {"limit": 5}))["list"][0]["oid"] == top  # not before the commit
    page = ok_data(api.get(LIST, {"limit": 5}))
    assert top not in [item["oid"] for item in page["list"]]
    assert page["total"] == 119


def test_a_renamed_video_shows_in_the_cached_ranking_once_committed(api, pool, django_capture_on_commit_callbacks):
    top = pool[-1].vid
    ok_data(api.get(REGION, {"region_id": pool[-1].region_id, "limit": 5}))
    with django_capture_on_commit_callbacks(execute=True):
        video_info_update(video=VideoInfo.objects.get(vid=top), fields={"title": "renamed"})
    assert ok_data(api.get(REGION, {"region_id": pool[-1].region_id, "limit": 5}))["list"][0]["title"] == "renamed"


# --- stampede protection --------------------------------------------------------------


def _slow_counting(monkeypatch, module, name, calls):
    real = getattr(module, name)

    def wrapper(**kwargs):
        calls[name] += 1
        time.sleep(0.3)  # long enough for every thread to miss the cold key
        return real(**kwargs)

    monkeypatch.setattr(module, name, wrapper)


def _concurrent_gets(path, n):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            response = Client().get(path)
            results.append((response.status_code, response.content))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("separate_processes", [False, True])
def test_concurrent_misses_of_one_key_run_the_query_once(monkeypatch, make_video, separate_processes):
    for i in range(30):
        make_video(stats={"view": i})
    if separate_processes:
        # No shared in-process lock: only the lock in the cache can elect one computing request.
        monkeypatch.setattr(mybili_cache, "_local_lock", lambda key: threading.Lock())
    calls = Counter()
    _slow_counting(monkeypatch, selectors, "_page_data", calls)
    _slow_counting(monkeypatch, selectors, "ranking_total", calls)

    results = _concurrent_gets(f"{LIST}?limit=20", 8)

    assert calls == {"_page_data": 1, "ranking_total": 1}
    assert len(results) == 8
    assert {status for status, _ in results} == {200}
    assert len({content for _, content in results}) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_of_one_video_run_the_query_once(monkeypatch, make_video):
    video = make_video()
    calls = Counter()
    real = VideoInfo.objects.filter

    def counting_filter(*args, **kwargs):
        if kwargs.get("vid") == video.vid:
            calls["info"] += 1
            time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(VideoInfo.objects, "filter", counting_filter)
    results = _concurrent_gets(f"/api/video/v1/videos/{video.vid}", 6)
    assert calls["info"] == 1
    assert {status for status, _ in results} == {200}

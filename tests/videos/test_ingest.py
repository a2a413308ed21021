"""POST /api/video/v1/stats: token-authenticated, all-or-nothing bulk ingest of absolute stat counts."""

import math

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hotrank.formula import hot_score
from hotrank.models import AcademyArchive, DirtyArchive, RecomputeRun, RunMode, RunStatus
from tests.api.helpers import error, ok_data
from tests.factories import NOW, VideoInfoFactory
from videos.models import STAT_FIELDS, VideoStat
from videos.selectors import video_info_key, video_stat_key
from videos.services import MAX_COUNT

pytestmark = pytest.mark.django_db

URL = "/api/video/v1/stats"
COUNTERS = ("view", "like", "coin", "fav", "share", "reply", "danmaku")


def _clear_cache():
    if hasattr(cache, "delete_pattern"):  # django-redis: only this project's (prefixed) keys
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def token():
    user = get_user_model().objects.create_user(username="ingest-bot", password=None)
    return Token.objects.create(user=user)


@pytest.fixture
def client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def item(vid, **counts):
    """A complete item; counts not given are derived from the vid so items differ."""
    return {"vid": vid, **{name: vid % 97 + i for i, name in enumerate(COUNTERS)}, **counts}


def stat_rows():
    """Every stat row as comparable tuples (id, vid, counters, ctime, mtime)."""
    return sorted(VideoStat.objects.values_list("id", "vid", *STAT_FIELDS, "ctime", "mtime"))


def counts_of(vid):
    stat = VideoStat.objects.get(vid=vid)
    return {"view": stat.view, "like": stat.like_count, "coin": stat.coin, "fav": stat.fav, "share": stat.share,
            "reply": stat.reply, "danmaku": stat.danmaku}


def dirty_oids():
    return sorted(DirtyArchive.objects.values_list("oid", flat=True))


def post(client, stats):
    return client.post(URL, {"stats": stats}, format="json")


# --- valid requests -----------------------------------------------------------------------


def test_valid_batch_upserts_absolute_counts_and_marks_dirty(client, make_video):
    existing = make_video(stats={"view": 5})
    without_stat = make_video(with_stat=False)
    untouched = make_video(stats={"view": 9})
    before_untouched = VideoStat.objects.get(vid=untouched.vid)
    before_existing = VideoStat.objects.get(vid=existing.vid)
    new_existing = item(existing.vid, view=123_456, like=0, danmaku=MAX_COUNT)  # the largest accepted
    new_created = item(without_stat.vid)

    data = ok_data(post(client, [new_existing, new_created]))

    assert data == {"written": 2}
    assert counts_of(existing.vid) == {k: new_existing[k] for k in COUNTERS}
    assert counts_of(without_stat.vid) == {k: new_created[k] for k in COUNTERS}
    after_existing = VideoStat.objects.get(vid=existing.vid)
    assert after_existing.id == before_existing.id  # updated in place, not re-created
    assert after_existing.ctime == before_existing.ctime
    assert after_existing.mtime >= before_existing.mtime
    assert VideoStat.objects.get(vid=untouched.vid).view == before_untouched.view
    assert dirty_oids() == sorted([existing.vid, without_stat.vid])


def test_a_retry_is_harmless(client, make_video):
    videos = [make_video() for _ in range(3)]
    stats = [item(v.vid, view=1000 + i) for i, v in enumerate(videos)]

    ok_data(post(client, stats))
    first = [row[:-1] for row in stat_rows()]  # all but mtime
    ok_data(post(client, stats))

    assert [row[:-1] for row in stat_rows()] == first
    assert VideoStat.objects.count() == 3


def test_1000_items_are_one_bulk_write_in_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    videos = VideoInfoFactory.create_batch(1000)
    stats = [item(v.vid) for v in videos]
    # SQLite caps a statement at 999 parameters in Django, so its inserts come in
    # batches; MariaDB takes each bulk insert in one statement.
    extra = 0
    if connection.vendor == "sqlite":
        stat_fields = [f for f in VideoStat._meta.concrete_fields if not f.primary_key]
        dirty_fields = [f for f in DirtyArchive._meta.concrete_fields if not f.primary_key]
        extra = (math.ceil(1000 / connection.ops.bulk_batch_size(stat_fields, stats)) - 1
                 + math.ceil(1000 / connection.ops.bulk_batch_size(dirty_fields, stats)) - 1)

    # token lookup, savepoint, vid check, upsert, dirty marks, release: well under 10
    with django_assert_max_num_queries(10 + extra):
        data = ok_data(post(client, stats))

    assert data == {"written": 1000}
    assert VideoStat.objects.count() == 1000
    assert counts_of(videos[500].vid) == {k: stats[500][k] for k in COUNTERS}
    assert dirty_oids() == sorted(v.vid for v in videos)


@pytest.mark.mysql
def test_1000_items_on_mariadb_take_at_most_ten_queries(client, django_assert_max_num_queries):
    stats = [item(v.vid) for v in VideoInfoFactory.create_batch(1000)]
    with django_assert_max_num_queries(10) as captured:
        ok_data(post(client, stats))
    upserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT INTO `video_stat`")]
    assert len(upserts) == 1 and "ON DUPLICATE KEY UPDATE" in upserts[0]


def test_ingest_evicts_the_video_cache_keys_on_commit(client, make_video, django_capture_on_commit_callbacks):
    video = make_video(stats={"view": 10, "like_count": 1})
    other = make_video(stats={"view": 20})
    anonymous = APIClient()
    stat_url = f"/api/video/v1/videos/{video.vid}/stat"
    assert ok_data(anonymous.get(stat_url))["stat"]["view"] == 10
    ok_data(anonymous.get(f"/api/video/v1/videos/{other.vid}/stat"))
    assert cache.get(video_stat_key(video.vid)) is not None
    assert cache.get(video_info_key(video.vid)) is not None

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ok_data(post(client, [item(video.vid, view=777, like=55)]))
        # not before the commit: a reader could otherwise re-cache the old row
        assert cache.get(video_stat_key(video.vid))["view"] == 10
    assert callbacks
    for callback in callbacks:
        callback()

    assert cache.get(video_stat_key(video.vid)) is None
    assert cache.get(video_info_key(video.vid)) is None
    assert cache.get(video_stat_key(other.vid)) is not None  # only the affected keys
    stat = ok_data(anonymous.get(stat_url))["stat"]
    assert (stat["view"], stat["like"]) == (777, 55)


def test_incremental_recompute_rescores_the_ingested_archives(client, make_video, django_capture_on_commit_callbacks):
    old = make_video(stats={"view": 1000, "coin": 10}, pub_time=NOW - 7 * 86400)
    fresh = make_video(stats={"view": 1000}, pub_time=NOW + 60)  # boosted at the later now
    bystander = make_video(stats={"view": 1000}, pub_time=NOW - 7 * 86400)
    call_command("recompute_hot", "--now", str(NOW))
    assert RecomputeRun.objects.get().status == RunStatus.SUCCEEDED
    before = dict(AcademyArchive.objects.values_list("oid", "hot"))
    assert before[old.vid] == hot_score(view=1000, coin=10, pub_time=old.pub_time, now=NOW)
    # changed without a dirty mark: the incremental pass must not look at it
    VideoStat.objects.filter(vid=bystander.vid).update(view=10**6)

    new_old = item(old.vid, view=50_000, like=3_000, coin=700, fav=250, share=90, reply=400, danmaku=1_200)
    new_fresh = item(fresh.vid, view=8_000, like=600, coin=80, fav=70, share=11, reply=9, danmaku=300)
    with django_capture_on_commit_callbacks(execute=True):
        ok_data(post(client, [new_old, new_fresh]))
    later = NOW + 600
    call_command("recompute_hot", "--incremental", "--now", str(later))

    run = RecomputeRun.objects.order_by("-id").first()
    assert (run.mode, run.status, run.now_ts) == (RunMode.INCREMENTAL, RunStatus.SUCCEEDED, later)
    hot = dict(AcademyArchive.objects.values_list("oid", "hot"))
    for video, new in ((old, new_old), (fresh, new_fresh)):
        counts = {k: new[k] for k in COUNTERS}
        assert hot[video.vid] == hot_score(**counts, pub_time=video.pub_time, now=later)
    assert hot[fresh.vid] == hot_score(**{k: new_fresh[k] for k in COUNTERS}, pub_time=NOW + 60, now=later)
    assert hot[old.vid] != before[old.vid]
    assert hot[bystander.vid] == before[bystander.vid]  # rescored only what was marked (or boosted)
    assert run.scanned == 2
    assert DirtyArchive.objects.count() == 0  # the marks it consumed are cleared


# --- invalid requests: 400, code 1002, nothing written --------------------------------------


@pytest.fixture
def snapshot(make_video):
    """Three videos with stats; returns a function that asserts the DB is as it was."""
    videos = [make_video(stats={"view": 100 + i}) for i in range(3)]
    rows = stat_rows()

    def unchanged():
        assert stat_rows() == rows
        assert DirtyArchive.objects.count() == 0

    unchanged.videos = videos
    return unchanged


BAD_VALUES = [
    pytest.param({"view": -1}, "view", id="negative"),
    pytest.param({"like": 1.0}, "like", id="float"),
    pytest.param({"coin": 1.5}, "coin", id="fraction"),
    pytest.param({"fav": "12"}, "fav", id="string"),
    pytest.param({"share": True}, "share", id="bool"),
    pytest.param({"reply": None}, "reply", id="null"),
    pytest.param({"danmaku": MAX_COUNT + 1}, "danmaku", id="too-big"),
    pytest.param({"coin": 2**63}, "coin", id="beyond-64-bits"),
    pytest.param({"vid": "1"}, "vid", id="vid-string"),
    pytest.param({"vid": True}, "vid", id="vid-bool"),
    pytest.param({"vid": -3}, "vid", id="vid-negative"),
    pytest.param({"extra": 1}, "item", id="unknown-key"),
]


@pytest.mark.parametrize("bad, field", BAD_VALUES)
def test_an_invalid_value_rejects_the_whole_request(client, snapshot, django_capture_on_commit_callbacks, bad, field):
    good = [item(v.vid, view=9_999) for v in snapshot.videos]
    stats = [good[0], {**good[1], **bad}, good[2]]

    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, stats)

    msg = error(response, 400, 1002)
    assert "nothing written" in msg
    errors = response.json()["data"]["errors"]
    assert [e["index"] for e in errors] == [1]
    assert errors[0]["vid"] == stats[1]["vid"]
    assert field in errors[0]["errors"]
    snapshot()
    assert callbacks == []  # no cache eviction either


@pytest.mark.parametrize("missing", ["vid", *COUNTERS])
def test_a_missing_key_rejects_the_whole_request(client, snapshot, missing):
    stats = [item(v.vid, view=9_999) for v in snapshot.videos]
    del stats[2][missing]

    response = post(client, stats)

    error(response, 400, 1002)
    errors = response.json()["data"]["errors"]
    assert [e["index"] for e in errors] == [2]
    assert missing in errors[0]["errors"]
    snapshot()


def test_unknown_and_duplicate_vids_are_listed_per_item(client, snapshot):
    a, b, _ = snapshot.videos
    unknown = 999_999_999
    stats = [item(a.vid), item(unknown), item(b.vid), item(a.vid), {"vid": b.vid, "view": -1}, "not an object"]

    response = post(client, stats)

    error(response, 400, 1002)
    errors = response.json()["data"]["errors"]
    assert [(e["index"], e["vid"]) for e in errors] == [(1, unknown), (3, a.vid), (4, b.vid), (5, None)]
    assert errors[0]["errors"] == {"vid": "unknown vid"}
    assert errors[1]["errors"] == {"vid": "duplicate vid in this batch"}
    assert errors[2]["errors"]["view"] == "must be a non-negative integer"
    assert set(errors[2]["errors"]) >= {"view", "like", "coin"}  # the other counters are missing
    assert errors[3]["errors"] == {"item": "must be an object"}
    snapshot()


def test_a_deleted_video_still_is_a_known_vid(client, make_video):
    video = make_video(video_state=1)
    ok_data(post(client, [item(video.vid, view=3)]))
    assert counts_of(video.vid)["view"] == 3


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"stats": []}, id="empty"),
        pytest.param({}, id="no-stats"),
        pytest.param({"stats": {"vid": 1}}, id="not-a-list"),
        pytest.param([{"vid": 1}], id="bare-list"),
    ],
)
def test_bad_envelope_shapes_are_400(client, snapshot, body):
    error(client.post(URL, body, format="json"), 400, 1002)
    snapshot()


def test_1001_items_are_400(client, snapshot):
    videos = VideoInfoFactory.create_batch(1001)
    msg = error(post(client, [item(v.vid) for v in videos]), 400, 1002)
    assert "1000" in msg
    snapshot()


def test_1000_items_is_the_limit_not_an_error(client):
    videos = VideoInfoFactory.create_batch(1000)
    assert ok_data(post(client, [item(v.vid) for v in videos])) == {"written": 1000}


@pytest.mark.parametrize("raw", ['{"stats": [', "not json", '{"stats": [{"vid": 1,}]}', ""])
def test_malformed_json_is_a_400_envelope(client, snapshot, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    error(response, 400, 1002)
    snapshot()


def test_a_form_body_is_an_envelope_error(client, snapshot):
    response = client.post(URL, {"stats": "1"})  # multipart: only JSON is accepted
    error(response, 415, 1002)
    snapshot()


# --- auth and method ------------------------------------------------------------------------


def test_without_a_token_is_401(snapshot):
    response = APIClient().post(URL, {"stats": [item(snapshot.videos[0].vid)]}, format="json")
    error(response, 401, 1004)
    assert response["WWW-Authenticate"] == "Token"
    snapshot()


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Token", "Bearer abc", "Token a b"])
def test_with_a_bad_token_is_401(token, snapshot, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, {"stats": [item(snapshot.videos[0].vid)]}, format="json")
    error(response, 401, 1004)  # "Bearer": another scheme, so no credentials at all
    snapshot()


def test_an_inactive_users_token_is_401(token, snapshot):
    token.user.is_active = False
    token.user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    error(post(client, [item(snapshot.videos[0].vid)]), 401, 1004)
    snapshot()


@pytest.mark.parametrize("authenticated", [True, False], ids=["with-token", "without-token"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405(client, authenticated, method):
    client = client if authenticated else APIClient()
    response = getattr(client, method)(URL)
    error(response, 405, 1007)
    assert "POST" in response["Allow"]


def test_options_answers_the_envelope(client):
    data = ok_data(client.options(URL))
    assert "POST" in data["methods"] and "GET" not in data["methods"]

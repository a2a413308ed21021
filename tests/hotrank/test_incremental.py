"""Incremental passes rescore exactly what can have changed, and end equal to a full pass."""

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotrank import engine, services
from hotrank.formula import hot_score
from hotrank.models import AcademyArchive, DirtyArchive, RecomputeRun, RunMode, RunStatus
from hotrank.services import (
    archives_remove,
    archives_restore,
    hot_recompute,
    hot_recompute_incremental,
)
from tests.factories import NOW
from videos.models import STAT_FIELDS, VideoInfo, VideoStat
from videos.services import video_stat_set

pytestmark = pytest.mark.django_db
DAY = 86400


def expected(now):
    stats = {s.vid: s for s in VideoStat.objects.all()}
    out = {}
    for a in AcademyArchive.objects.filter(state=0):
        s = stats.get(a.oid)
        counts = dict(view=s.view, like=s.like_count, coin=s.coin, fav=s.fav, share=s.share, reply=s.reply,
                      danmaku=s.danmaku) if s else {}
        out[a.id] = hot_score(**counts, pub_time=a.pub_time, now=now)
    return out


def actual():
    return dict(AcademyArchive.objects.filter(state=0).values_list("id", "hot"))


def test_first_incremental_without_a_previous_run_is_a_full_pass(make_video):
    make_video(stats=dict(view=400))
    run = hot_recompute_incremental(now=NOW)
    assert run.mode == RunMode.FULL
    assert actual() == expected(NOW)


def test_boost_window_edges_are_rescored_and_nothing_else(make_video):
    later = NOW + 600
    stats = dict(coin=100)  # 40 unboosted, 60 boosted
    ended = make_video(stats=stats, pub_time=NOW - DAY)  # boosted at NOW (inclusive), not at `later`
    ends_at_edge = make_video(stats=stats, pub_time=later - DAY)  # boosted at both
    began = make_video(stats=stats, pub_time=NOW + 1)  # future at NOW, boosted at `later`
    begins_at_edge = make_video(stats=stats, pub_time=later)  # boosted at `later` (inclusive)
    future = make_video(stats=stats, pub_time=later + 1)  # boosted at neither
    old = make_video(stats=stats, pub_time=NOW - 10 * DAY)
    hot_recompute(now=NOW)

    run = hot_recompute_incremental(now=later)

    assert run.mode == RunMode.INCREMENTAL
    hots = {a.oid: a.hot for a in AcademyArchive.objects.all()}
    assert hots[ended.vid] == 40
    assert hots[ends_at_edge.vid] == 60
    assert hots[began.vid] == 60
    assert hots[begins_at_edge.vid] == 60
    assert hots[future.vid] == 40
    assert hots[old.vid] == 40
    assert run.scanned == 3  # ended, began, begins_at_edge: exactly the two windows
    assert run.updated == 3


def test_dirty_marks_are_rescored_and_consumed(make_video):
    video = make_video(stats=dict(view=400))
    hot_recompute(now=NOW)
    video_stat_set(vid=video.vid, counts=dict(view=800))
    assert DirtyArchive.objects.count() == 1

    run = hot_recompute_incremental(now=NOW + 60)

    assert (run.scanned, run.updated) == (1, 1)
    assert AcademyArchive.objects.get(oid=video.vid).hot == 200
    assert DirtyArchive.objects.count() == 0


@pytest.mark.parametrize("recompute", [hot_recompute_incremental, hot_recompute], ids=["incremental", "full"])
def test_a_pass_settles_the_marks_made_before_it_and_spares_those_made_during_it(make_video, monkeypatch, recompute):
    first, second = make_video(stats=dict(view=400)), make_video(stats=dict(view=400))
    hot_recompute(now=NOW)
    video_stat_set(vid=first.vid, counts=dict(view=800))
    real_write = engine.archive_hot_write

    def write_and_mark(*, hots):
        video_stat_set(vid=second.vid, counts=dict(view=1200))  # arrives while the pass runs
        return real_write(hots=hots)

    monkeypatch.setattr(engine, "archive_hot_write", write_and_mark)
    recompute(now=NOW + 60)
    monkeypatch.undo()

    assert list(DirtyArchive.objects.values_list("oid", flat=True)) == [second.vid]
    assert AcademyArchive.objects.get(oid=first.vid).hot == 200
    run = hot_recompute_incremental(now=NOW + 120)
    assert run.scanned == 1
    assert AcademyArchive.objects.get(oid=second.vid).hot == 300
    assert actual() == expected(NOW + 120)


def test_rows_inserted_with_plain_sql_are_picked_up(make_video):
    make_video(stats=dict(view=400))
    hot_recompute(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO video_info (vid, pub_time) VALUES (%s, %s)", [5, NOW - 5 * DAY])
        cursor.execute("INSERT INTO video_stat (vid, view) VALUES (%s, %s)", [5, 4000])
        cursor.execute("INSERT INTO academy_archive (oid, pub_time) VALUES (%s, %s)", [5, NOW - 5 * DAY])
    run = hot_recompute_incremental(now=NOW + 60)
    assert run.scanned == 1
    assert AcademyArchive.objects.get(oid=5).hot == 1000


def test_restored_archives_are_rescored(make_video):
    video = make_video(stats=dict(view=400))
    hot_recompute(now=NOW)
    archive = AcademyArchive.objects.get(oid=video.vid)
    archives_remove(archive_ids=[archive.id])
    VideoStat.objects.filter(vid=video.vid).update(view=4000)  # changed while out of the ranking, unmarked
    DirtyArchive.objects.all().delete()
    hot_recompute_incremental(now=NOW + 60)
    archives_restore(archive_ids=[archive.id])
    hot_recompute_incremental(now=NOW + 120)
    assert AcademyArchive.objects.get(oid=video.vid).hot == 1000


def test_command_incremental(make_video, capsys):
    make_video(stats=dict(view=400))
    call_command("recompute_hot", "--now", str(NOW))
    call_command("recompute_hot", "--incremental", "--now", str(NOW + 60))
    assert "(incremental) succeeded" in capsys.readouterr().out


# --- Property: any history of changes, incremental passes == a full recompute ----------------

offsets = st.sampled_from([-DAY - 1, -DAY, -DAY + 1, -3600, -1, 0, 1, 60, DAY, -10 * DAY])
counts = st.fixed_dictionaries({f: st.integers(0, 10**6) for f in STAT_FIELDS})
operation = st.one_of(
    st.tuples(st.just("stat"), st.integers(0, 50), counts),
    st.tuples(st.just("add"), offsets, counts, st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("restore"), st.integers(0, 50)),
    st.tuples(st.just("advance"), st.sampled_from([0, 1, 59, 3600, DAY - 1, DAY, DAY + 1])),
    st.tuples(st.just("full"), st.sampled_from([0, 1, 3600])),  # settles the marks made before it
)


def _add(now, offset, stat_counts, plain_sql, vid):
    pub_time = now + offset
    if plain_sql:  # the seed's SQL dumps: no dirty mark, only a new id
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO video_info (vid, pub_time) VALUES (%s, %s)", [vid, pub_time])
            cols = ", ".join(STAT_FIELDS)
            cursor.execute(f"INSERT INTO video_stat (vid, {cols}) VALUES (%s{', %s' * len(STAT_FIELDS)})",
                           [vid, *stat_counts.values()])
            cursor.execute("INSERT INTO academy_archive (oid, pub_time) VALUES (%s, %s)", [vid, pub_time])
    else:
        VideoInfo.objects.create(vid=vid, pub_time=pub_time)
        VideoStat.objects.create(vid=vid, **stat_counts)
        AcademyArchive.objects.create(oid=vid, pub_time=pub_time)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=st.lists(st.tuples(offsets, counts), min_size=1, max_size=8), ops=st.lists(operation, max_size=25))
def test_incremental_passes_equal_a_full_recompute(initial, ops):
    for model in (DirtyArchive, RecomputeRun, AcademyArchive, VideoStat, VideoInfo):
        model.objects.all().delete()
    now, next_vid = NOW, 1
    for offset, stat_counts in initial:
        _add(now, offset, stat_counts, False, next_vid)
        next_vid += 1
    hot_recompute(now=now, batch_size=3)

    for op in ops:
        ids = sorted(AcademyArchive.objects.values_list("id", "oid"))
        if op[0] == "stat" and ids:
            video_stat_set(vid=ids[op[1] % len(ids)][1], counts=op[2])
        elif op[0] == "add":
            _add(now, op[1], op[2], op[3], next_vid)
            next_vid += 1
        elif op[0] == "remove" and ids:
            archives_remove(archive_ids=[ids[op[1] % len(ids)][0]])
        elif op[0] == "restore" and ids:
            archives_restore(archive_ids=[ids[op[1] % len(ids)][0]])
        elif op[0] == "advance":
            now += op[1]
            hot_recompute_incremental(now=now, batch_size=3)
            assert actual() == expected(now)
        elif op[0] == "full":
            now += op[1]
            hot_recompute(now=now, batch_size=3)
    now += 1
    hot_recompute_incremental(now=now, batch_size=3)
    assert actual() == expected(now)


def test_clearing_marks_by_ranges_spares_an_unread_mark_between_them(db):
    from hotrank.services import dirty_marks_clear

    marks = DirtyArchive.objects.bulk_create([DirtyArchive(oid=i) for i in range(8)])
    ids = sorted(m.id for m in DirtyArchive.objects.all())
    assert len(ids) == len(marks)
    unread = ids[4]  # committed after the pass read the others (out-of-order commits)
    dirty_marks_clear(mark_ids=[i for i in ids if i != unread])
    assert list(DirtyArchive.objects.values_list("id", flat=True)) == [unread]


def write_failing_on(archive_id):
    """The engine's batch write, failing for the batch that holds `archive_id`."""
    real_write = engine.archive_hot_write

    def write(*, hots):
        if archive_id in hots:
            raise RuntimeError("injected failure")
        return real_write(hots=hots)

    return write


@pytest.mark.django_db(transaction=True)  # outside a transaction, MySQL writes with parallel connections
@pytest.mark.parametrize("failing", ["a batch", "the clearing of the marks"])
def test_a_failed_pass_leaves_every_mark_it_read(make_video, monkeypatch, failing):
    videos = [make_video(stats=dict(view=400)) for _ in range(6)]
    hot_recompute(now=NOW)
    for video in videos:
        video_stat_set(vid=video.vid, counts=dict(view=800))
    marks = sorted(DirtyArchive.objects.values_list("id", flat=True))
    assert len(marks) == len(videos)

    last_id = AcademyArchive.objects.get(oid=videos[-1].vid).id

    def fail_to_clear(*, mark_ids):
        raise RuntimeError("injected failure")

    if failing == "a batch":
        monkeypatch.setattr(engine, "archive_hot_write", write_failing_on(last_id))
    else:
        monkeypatch.setattr(services, "dirty_marks_clear", fail_to_clear)
    with pytest.raises(RuntimeError, match="injected failure"):
        hot_recompute_incremental(now=NOW + 60, batch_size=2)

    assert RecomputeRun.objects.latest("id").status == RunStatus.FAILED
    assert sorted(DirtyArchive.objects.values_list("id", flat=True)) == marks
    monkeypatch.undo()
    hot_recompute_incremental(now=NOW + 120, batch_size=2)
    assert actual() == expected(NOW + 120)
    assert not DirtyArchive.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_resumed_full_pass_leaves_the_marks(make_video, monkeypatch):
    videos = [make_video(stats=dict(view=400)) for _ in range(4)]
    video_stat_set(vid=videos[0].vid, counts=dict(view=800))
    last_id = AcademyArchive.objects.get(oid=videos[-1].vid).id
    monkeypatch.setattr(engine, "archive_hot_write", write_failing_on(last_id))
    with pytest.raises(RuntimeError, match="injected failure"):
        hot_recompute(now=NOW, batch_size=1)
    assert DirtyArchive.objects.count() == 1  # a failed full pass settles nothing
    monkeypatch.undo()
    video_stat_set(vid=videos[1].vid, counts=dict(view=1200))  # behind the checkpoint: the resume will not read it

    hot_recompute(resume=True, batch_size=1)

    assert sorted(DirtyArchive.objects.values_list("oid", flat=True)) == [videos[0].vid, videos[1].vid]
    hot_recompute_incremental(now=NOW + 60)
    assert actual() == expected(NOW + 60)


# --- Ids that commit out of order -----------------------------------------------------------------


def _insert_archive(archive_id, video):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO academy_archive (id, oid, pub_time) VALUES (%s, %s, %s)",
            [archive_id, video.vid, video.pub_time],
        )


def test_an_archive_committed_below_the_highest_id_seen_is_picked_up(make_video):
    top = AcademyArchive.objects.get(oid=make_video(stats=dict(view=400)).vid).id
    hot_recompute(now=NOW)
    late, early = make_video(stats=dict(view=4000), in_pool=False), make_video(stats=dict(view=800), in_pool=False)
    _insert_archive(top + 2, early)  # commits first, as a concurrent insert can with a higher id

    run = hot_recompute_incremental(now=NOW + 60)
    unseen = {archive_id for archive_id, _ in run.unseen_ids}  # also ids that earlier tests left unused
    assert top + 1 in unseen and top + 2 not in unseen
    assert AcademyArchive.objects.get(oid=early.vid).hot == 200

    _insert_archive(top + 1, late)
    run = hot_recompute_incremental(now=NOW + 120)
    assert top + 1 not in {archive_id for archive_id, _ in run.unseen_ids}
    assert AcademyArchive.objects.get(oid=late.vid).hot == 1000
    assert actual() == expected(NOW + 120)


def test_a_gap_is_carried_with_its_first_miss_and_dropped_after_the_horizon(make_video):
    import time

    make_video(stats=dict(view=400))
    base = hot_recompute(now=NOW)
    stamp = int(time.time())
    old, recent = base.max_archive_id + 50, base.max_archive_id + 60  # beyond any id: still missing
    RecomputeRun.objects.filter(pk=base.pk).update(
        unseen_ids=[[old, stamp - services.UNSEEN_HORIZON_SECONDS - 1], [recent, stamp - 5]]
    )
    run = hot_recompute_incremental(now=NOW + 60)
    assert run.unseen_ids == [[recent, stamp - 5]]


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_an_insert_in_flight_during_a_pass_is_scored_by_the_next(make_video):
    """Two real connections: the lower auto-increment id commits after a pass has seen a higher one."""
    import threading

    from django.db import connections, transaction

    make_video(stats=dict(view=400))
    hot_recompute(now=NOW)
    late, early = make_video(stats=dict(view=4000), in_pool=False), make_video(stats=dict(view=800), in_pool=False)
    inserted, release = threading.Event(), threading.Event()

    def insert_and_hold():
        try:
            with transaction.atomic():
                AcademyArchive.objects.create(oid=late.vid, pub_time=late.pub_time)
                inserted.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=insert_and_hold)
    holder.start()
    try:
        assert inserted.wait(30)
        AcademyArchive.objects.create(oid=early.vid, pub_time=early.pub_time)  # a higher id, committed first
        run = hot_recompute_incremental(now=NOW + 60)
    finally:
        release.set()
        holder.join()
    late_id = AcademyArchive.objects.get(oid=late.vid).id
    assert late_id < AcademyArchive.objects.get(oid=early.vid).id
    assert late_id in {archive_id for archive_id, _ in run.unseen_ids}
    assert AcademyArchive.objects.get(oid=late.vid).hot == 0  # not visible to that pass

    hot_recompute_incremental(now=NOW + 120)
    assert AcademyArchive.objects.get(oid=late.vid).hot == 1000

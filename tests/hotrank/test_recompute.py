import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from hotrank import engine
from hotrank.formula import hot_score
from hotrank.models import AcademyArchive, RecomputeRun, RunStatus
from hotrank.services import RecomputeAlreadyRunning, hot_recompute, recompute_run_start
from tests.factories import NOW
from videos.models import VideoStat

pytestmark = pytest.mark.django_db


def expected_hots(now):
    """Each archive's score, recomputed independently from the tables."""
    stats = {s.vid: s for s in VideoStat.objects.all()}
    result = {}
    for archive in AcademyArchive.objects.all():
        stat = stats.get(archive.oid)
        counts = (
            dict(view=stat.view, like=stat.like_count, coin=stat.coin, fav=stat.fav, share=stat.share,
                 reply=stat.reply, danmaku=stat.danmaku) if stat else {}
        )
        result[archive.id] = hot_score(**counts, pub_time=archive.pub_time, now=now)
    return result


def hots():
    return dict(AcademyArchive.objects.values_list("id", "hot"))


def test_full_run_scores_every_normal_row_and_leaves_removed_ones(mixed_pool):
    AcademyArchive.objects.filter(state=1).update(hot=-7)  # a sentinel the run must not touch
    run = hot_recompute(now=NOW, batch_size=64)

    expected = expected_hots(NOW)
    normal = set(AcademyArchive.objects.filter(state=0).values_list("id", flat=True))
    actual = hots()
    assert {i: actual[i] for i in normal} == {i: expected[i] for i in normal}
    assert all(actual[i] == -7 for i in actual.keys() - normal)
    assert run.status == RunStatus.SUCCEEDED
    assert run.scanned == len(normal)
    assert run.updated == sum(1 for i in normal if expected[i] != 0)
    assert run.last_id == max(normal)

    again = hot_recompute(now=NOW, batch_size=64)
    assert again.scanned == len(normal)
    assert again.updated == 0


def test_a_later_now_ends_the_boost(make_video):
    video = make_video(stats=dict(coin=100), pub_time=NOW)
    hot_recompute(now=NOW)
    assert AcademyArchive.objects.get(oid=video.vid).hot == 60
    hot_recompute(now=NOW + 86401)
    assert AcademyArchive.objects.get(oid=video.vid).hot == 40


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_batch_sizes_around_the_pool_size(mixed_pool, delta):
    eligible = AcademyArchive.objects.filter(state=0).count()
    run = hot_recompute(now=NOW, batch_size=eligible + delta)
    expected = expected_hots(NOW)
    assert {i: h for i, h in hots().items() if i in expected and AcademyArchive.objects.get(id=i).state == 0} == {
        i: expected[i] for i in AcademyArchive.objects.filter(state=0).values_list("id", flat=True)
    }
    assert run.scanned == eligible


def test_batch_size_one(make_video):
    videos = [make_video(stats=dict(view=400 * (i + 1))) for i in range(5)]
    run = hot_recompute(now=NOW, batch_size=1)
    assert [AcademyArchive.objects.get(oid=v.vid).hot for v in videos] == [100, 200, 300, 400, 500]
    assert (run.scanned, run.updated) == (5, 5)


@pytest.mark.parametrize("size", [engine.CASE_LEAF_SIZE, engine.CASE_LEAF_SIZE + 1, 4 * engine.CASE_LEAF_SIZE + 3])
def test_a_batch_write_sets_each_row_its_own_hot_and_no_other(mixed_pool, size):
    # Around the CASE's leaf size: the flat CASE, and the nested one that splits the id range.
    ids = sorted(AcademyArchive.objects.values_list("id", flat=True))
    chosen = ids[1::2][:size] if size <= len(ids) // 2 else ids[:size]
    before = hots()
    new = {archive_id: 1_000_000 + 7 * n for n, archive_id in enumerate(chosen)}
    written = engine.archive_hot_write(hots=dict(reversed(new.items())))  # any order in, sorted inside
    assert len(chosen) == size and written == size
    assert hots() == before | new


def test_plain_sql_rows_are_scored(db):
    # The seed's SQL dumps insert with column names only; defaults fill the rest.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO video_info (vid, title, pub_time) VALUES (%s, %s, %s)", [77, "raw", NOW - 99999])
        cursor.execute("INSERT INTO video_stat (vid, view, like_count) VALUES (%s, %s, %s)", [77, 400, 10])
        cursor.execute("INSERT INTO academy_archive (oid, pub_time) VALUES (%s, %s)", [77, NOW - 99999])
    hot_recompute(now=NOW)
    assert AcademyArchive.objects.get(oid=77).hot == 100 + 4


@pytest.mark.django_db(transaction=True)
def test_failure_keeps_committed_batches_and_resume_finishes_the_same(mixed_pool, monkeypatch):
    batch, fail_after = 40, 3
    normal_ids = sorted(AcademyArchive.objects.filter(state=0).values_list("id", flat=True))
    first_unwritten = normal_ids[fail_after * batch]
    last_good_batch = set(normal_ids[(fail_after - 1) * batch : fail_after * batch])
    real_write = engine.archive_hot_write
    failed = threading.Event()
    parallel = engine._writer_count() > 1

    def write_then_fail(*, hots):
        # every batch from the (fail_after + 1)-th on fails, whichever writer runs it
        if any(i >= first_unwritten for i in hots):
            failed.set()
            raise RuntimeError("injected failure")
        if parallel and last_good_batch & set(hots):
            # with parallel writers, the batch before the failed one waits until that one has
            # failed: a later batch's failure must not keep an earlier one from committing
            assert failed.wait(timeout=30)
        return real_write(hots=hots)

    before = hots()
    monkeypatch.setattr(engine, "archive_hot_write", write_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        hot_recompute(now=NOW, batch_size=batch)

    run = RecomputeRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "injected failure" in run.error
    assert run.active_business is None
    assert run.last_id == normal_ids[fail_after * batch - 1]
    assert run.scanned == fail_after * batch
    expected = expected_hots(NOW)
    after = hots()
    assert all(after[i] == expected[i] for i in normal_ids if i <= run.last_id)
    assert all(after[i] == before[i] for i in after if i > run.last_id)

    monkeypatch.setattr(engine, "archive_hot_write", real_write)
    call_command("recompute_hot", "--resume", "--batch-size", str(batch))
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.now_ts == NOW
    assert run.scanned == len(normal_ids)
    assert {i: h for i, h in hots().items() if i in set(normal_ids)} == {i: expected[i] for i in normal_ids}


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_writers_that_cannot_connect_fail_the_pass_and_it_keeps_the_marks(mixed_pool, monkeypatch):
    # Parallel writers run on MySQL outside a transaction. If none can connect, the pass must
    # fail (not hang on a full queue, nor succeed with nothing written) and clear no mark.
    from django.db.backends.mysql.base import DatabaseWrapper

    from hotrank.models import DirtyArchive
    from hotrank.services import archives_mark_dirty, hot_recompute_incremental

    assert engine._writer_count() > 1
    real_connect = DatabaseWrapper.ensure_connection

    def refuse_writers(self):
        if threading.current_thread().name.startswith("recompute-writer"):
            raise ConnectionError("injected: too many connections")
        return real_connect(self)

    hot_recompute(now=NOW)
    archives_mark_dirty(oids=AcademyArchive.objects.values_list("oid", flat=True))
    monkeypatch.setattr(DatabaseWrapper, "ensure_connection", refuse_writers)
    before = hots()
    with pytest.raises(ConnectionError, match="injected"):
        hot_recompute_incremental(now=NOW + 86400 * 2, batch_size=1)  # many more pages than the queue holds

    failed = RecomputeRun.objects.latest("id")
    assert (failed.status, failed.scanned) == (RunStatus.FAILED, 0)
    assert hots() == before
    assert DirtyArchive.objects.count() == len(mixed_pool)


def test_scores_are_plain_ints_on_every_backend(mixed_pool):
    # MariaDB turns COALESCE over unsigned counts into DECIMAL; scoring must stay in ints.
    pages = list(engine.id_pages(business=1, ids=AcademyArchive.objects.values_list("id", flat=True),
                                 batch_size=50, now=NOW))  # fmt: skip
    pages += list(engine.scan_pages(business=1, after_id=0, batch_size=50, now=NOW))
    scores = [hot for page in pages for hot in page.hots.values()]
    assert scores and all(type(hot) is int for hot in scores)


def test_resume_without_a_failed_run_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no failed full or partitioned run"):
        call_command("recompute_hot", "--resume")


@pytest.mark.django_db(transaction=True)
def test_a_second_run_is_refused_from_another_connection(mixed_pool, capsys):
    holder = recompute_run_start(business=1, now=NOW)
    outcome = []

    def second():
        try:
            recompute_run_start(business=1, now=NOW)
            outcome.append("started")
        except RecomputeAlreadyRunning:
            outcome.append("refused")
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join()
    assert outcome == ["refused"]

    call_command("recompute_hot")  # exits 0
    assert "already running" in capsys.readouterr().out
    assert RecomputeRun.objects.count() == 1
    holder.refresh_from_db()
    assert holder.status == RunStatus.RUNNING


def test_a_stale_run_does_not_block(mixed_pool, settings):
    stale = recompute_run_start(business=1, now=NOW)
    RecomputeRun.objects.filter(pk=stale.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.RECOMPUTE_STALE_SECONDS + 1)
    )
    run = hot_recompute(now=NOW)
    assert run.status == RunStatus.SUCCEEDED
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED
    assert "stale" in stale.error


def test_other_businesses_are_independent(make_video):
    recompute_run_start(business=2, now=NOW)
    make_video(stats=dict(view=4))
    assert hot_recompute(now=NOW).updated == 1


def test_command_summary_and_bad_input(mixed_pool, capsys):
    from django.core.management.base import CommandError

    call_command("recompute_hot", "--now", str(NOW), "--batch-size", "50")
    out = capsys.readouterr().out
    assert "succeeded" in out and "scanned" in out and f"now {NOW}" in out
    for bad in (["--batch-size", "0"], ["--batch-size", "x"], ["--business", "9"], ["--now", "soon"]):
        with pytest.raises(CommandError):
            call_command("recompute_hot", *bad)


def test_the_largest_accepted_counts_score_within_the_hot_column(make_video):
    from videos.services import MAX_COUNT

    video = make_video(stats=dict.fromkeys(("view", "like_count", "coin", "fav", "share", "reply", "danmaku"),
                                           MAX_COUNT), pub_time=NOW)
    hot_recompute(now=NOW)
    assert AcademyArchive.objects.get(oid=video.vid).hot == 275 * MAX_COUNT * 3 // 200 < 2**63


def test_resume_is_refused_once_a_newer_run_succeeded(mixed_pool, monkeypatch):
    """Finishing the old run with its old `now` would write stale boosts behind the newer base."""
    from django.core.management.base import CommandError

    from hotrank.services import hot_recompute_incremental

    real_write = engine.archive_hot_write
    monkeypatch.setattr(engine, "archive_hot_write", lambda *, hots: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        hot_recompute(now=NOW)
    monkeypatch.setattr(engine, "archive_hot_write", real_write)
    hot_recompute_incremental(now=NOW + 2 * 86400)  # succeeds: it is now the base
    with pytest.raises(CommandError, match="succeeded after it"):
        call_command("recompute_hot", "--resume")


def test_a_reaped_run_cannot_write_or_claim_success(make_video, settings):
    """A run presumed dead (stale heartbeat) is fenced: its next batch rolls back and it stays failed."""
    from hotrank.engine import RunFenced, scan_pages
    from hotrank.services import _execute, recompute_run_reap_stale

    video = make_video(stats=dict(view=400), pub_time=NOW)  # 150 boosted at NOW, 100 a month later
    slow = recompute_run_start(business=1, now=NOW)
    RecomputeRun.objects.filter(pk=slow.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.RECOMPUTE_STALE_SECONDS + 1)
    )
    assert recompute_run_reap_stale(business=1) == 1
    fresh = hot_recompute(now=NOW + 86400 * 30)  # the new run scores with a later now
    with pytest.raises(RunFenced):
        # the "dead" process wakes up and carries on with its own (old) now
        _execute(run=slow, pages=scan_pages(business=1, after_id=0, batch_size=10, now=slow.now_ts), on_batch=None)
    slow.refresh_from_db()
    assert slow.status == RunStatus.FAILED and "stale" in slow.error
    assert AcademyArchive.objects.get(oid=video.vid).hot == 100
    assert fresh.status == RunStatus.SUCCEEDED

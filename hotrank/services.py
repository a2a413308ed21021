"""Writes of the hotrank app: recompute runs (full, incremental, partitioned) and dirty marks."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from hotrank.engine import MAX_BATCH_SIZE, RunFenced, id_pages, pages_write, scan_pages
from hotrank.formula import BOOST_WINDOW_SECONDS
from hotrank.models import (
    AcademyArchive,
    ArchiveState,
    Business,
    DirtyArchive,
    RankingGeneration,
    RecomputeRun,
    RunMode,
    RunStatus,
)
from mybili.cache import cache_set

logger = logging.getLogger(__name__)


class RecomputeAlreadyRunning(Exception):
    """Another live run of this business holds the lock."""


class NothingToResume(Exception):
    """--resume found no failed run of this business."""


# --- Run bookkeeping and the cross-process lock -----------------------------------


def recompute_run_reap_stale(*, business: int) -> int:
    """Fail runs of `business` whose process stopped beating, so they no longer block."""
    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=settings.RECOMPUTE_STALE_SECONDS)
    # A partitioned run's partitions may wait in the queue, or be re-delivered by the broker
    # only after Q_CLUSTER["retry"] seconds when a worker died: it is stale only after that.
    partition_cutoff = cutoff - timezone.timedelta(seconds=settings.Q_CLUSTER["retry"])
    stale = Q(heartbeat_at__lt=cutoff) & ~Q(mode=RunMode.PARTITION) | Q(
        heartbeat_at__lt=partition_cutoff, mode=RunMode.PARTITION
    )
    return RecomputeRun.objects.filter(stale, active_business=business, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        active_business=None,
        finished_at=timezone.now(),
        error=f"stale: no heartbeat for {settings.RECOMPUTE_STALE_SECONDS} s (process died?)",
    )


def _max_archive_id() -> int:
    return AcademyArchive.objects.aggregate(m=Max("id"))["m"] or 0


def recompute_run_start(*, business: int, mode: str = RunMode.FULL, now: int | None = None, resume: bool = False):
    """Take the business's lock and return the run to execute.

    The unique `active_business` column makes the database refuse a second live
    run, across processes and machines. Raises RecomputeAlreadyRunning or, for
    `resume`, NothingToResume.
    """
    recompute_run_reap_stale(business=business)
    stamp = timezone.now()
    try:
        with transaction.atomic():
            if resume:
                run = (
                    RecomputeRun.objects.select_for_update()
                    .filter(business=business, parent=None, status=RunStatus.FAILED)
                    .exclude(mode__in=[RunMode.INCREMENTAL, RunMode.SELECTED])
                    .order_by("-id")
                    .first()
                )
                if run is None:
                    raise NothingToResume(f"no failed full or partitioned run of business {business} to resume")
                newer = (
                    RecomputeRun.objects.filter(business=business, parent=None, id__gt=run.id)
                    .filter(status=RunStatus.SUCCEEDED)
                    .exclude(mode=RunMode.SELECTED)
                    .first()
                )
                if newer is not None:
                    # Finishing it with its old `now` would write boosts as of then, behind the newer
                    # run that incremental passes start from.
                    raise NothingToResume(
                        f"run {run.pk} failed, but run {newer.pk} ({newer.mode}) succeeded after it; "
                        "start a new full pass instead"
                    )
                run.status = RunStatus.RUNNING
                run.active_business = business
                run.heartbeat_at = stamp
                run.finished_at = None
                run.error = ""
                run.save(update_fields=["status", "active_business", "heartbeat_at", "finished_at", "error"])
                return run
            return RecomputeRun.objects.create(
                business=business,
                mode=mode,
                now_ts=int(time.time()) if now is None else now,
                status=RunStatus.RUNNING,
                started_at=stamp,
                heartbeat_at=stamp,
                active_business=business,
                max_archive_id=_max_archive_id(),
            )
    except IntegrityError as exc:
        raise RecomputeAlreadyRunning(f"a recompute of business {business} is already running") from exc


def recompute_run_finish(*, run: RecomputeRun, error: str = "") -> bool:
    """End a running run; False when it had already ended (reaped as stale): then it stays failed."""
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.error = error
    run.finished_at = timezone.now()
    run.active_business = None
    return bool(
        RecomputeRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=run.status, error=run.error, finished_at=run.finished_at, active_business=None
        )
    )


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:4000]


def _execute(*, run: RecomputeRun, pages, on_batch, after_all=None) -> RecomputeRun:
    """Write `pages` for `run`, then mark it succeeded or failed (and re-raise)."""
    try:
        pages_write(run=run, pages=pages, on_batch=on_batch, after_all=after_all)
    except BaseException as exc:
        run.refresh_from_db(fields=["scanned", "updated", "last_id"])
        logger.exception("recompute run %s failed at checkpoint %s", run.pk, run.last_id)
        recompute_run_finish(run=run, error=_error_text(exc))
        raise
    run.refresh_from_db(fields=["scanned", "updated", "last_id"])
    if not recompute_run_finish(run=run):
        run.refresh_from_db()
        raise RunFenced(f"run {run.pk} was reaped while it finished: {run.error}")
    return run


def _check_batch_size(batch_size: int | None) -> int:
    batch_size = batch_size or settings.RECOMPUTE_BATCH_SIZE
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, got {batch_size}")
    return batch_size


# --- Full and incremental passes ---------------------------------------------------------


def hot_recompute(
    *,
    business: int = Business.VIDEO,
    batch_size: int | None = None,
    now: int | None = None,
    resume: bool = False,
    on_batch: Callable[[RecomputeRun], None] | None = None,
    refresh_cache: bool = True,
) -> RecomputeRun:
    """A full pass (or the resumption of a failed one): lock, scan, release, refresh the cache.

    `refresh_cache=False` leaves the generation bump and preheat to the caller
    (the benchmark times them apart from the pass).
    """
    batch_size = _check_batch_size(batch_size)
    run = recompute_run_start(business=business, now=now, resume=resume)
    if run.mode == RunMode.PARTITION:
        return recompute_partitions_enqueue(run=run, batch_size=batch_size)
    marks: list[int] = []
    if not resume:  # a resumed pass keeps what it recorded when it first started
        marks = _marks_before_full_pass(business=business)
        _archives_added_since(run=run, prev=_previous_run(business=business))  # the gaps only: the scan reads all
    pages = scan_pages(business=business, after_id=run.last_id, batch_size=batch_size, now=run.now_ts)
    _execute(run=run, pages=pages, on_batch=on_batch, after_all=_marks_clearer(marks))
    if refresh_cache:
        # A full pass also renews the totals: it is the hourly catch-all for changes made
        # around the services (plain SQL edits of video state).
        ranking_cache_refresh(business=business, eligibility_changed=True)
    return run


def _previous_run(*, business: int) -> RecomputeRun | None:
    """The newest successful whole run (full, incremental or partitioned): the base of the next pass.

    A `selected` run rescored only some archives, so the boost windows and new ids
    since the run before it are still unscored: it is never a base.
    """
    return (
        RecomputeRun.objects.filter(business=business, parent=None, status=RunStatus.SUCCEEDED)
        .exclude(mode=RunMode.SELECTED)
        .order_by("-id")
        .first()
    )


# Auto-increment ids commit out of order on MySQL: below the highest id a run saw, an id
# may belong to an insert still in flight. Such gaps are kept on the run and rescored
# once they appear, for an hour: a later commit is read by the next hourly full pass.
UNSEEN_HORIZON_SECONDS = 3600
UNSEEN_MAX = 10_000  # rolled-back inserts leave gaps forever; keep the newest
FIRST_RUN_GAP_WINDOW = 10_000  # with no previous run, gaps are looked for among the highest ids only


def _archives_added_since(*, run: RecomputeRun, prev: RecomputeRun | None) -> set[int]:
    """Eligible archives added since `prev` started (plain SQL inserts too), and the gaps.

    Returns the eligible ids above `prev.max_archive_id` or among its unseen ids that
    have appeared, and records on `run` the ids still missing. One read gives both, so
    an insert committing meanwhile is either returned or recorded.
    """
    low = prev.max_archive_id if prev else max(0, run.max_archive_id - FIRST_RUN_GAP_WINDOW)
    carried = {archive_id: first_missed for archive_id, first_missed in (prev.unseen_ids if prev else [])}
    rows = AcademyArchive.objects.filter(
        Q(id__gt=low, id__lte=run.max_archive_id) | Q(id__in=list(carried))
    ).values_list("id", "business", "state")
    visible, added = set(), set()
    for archive_id, business, state in rows:
        visible.add(archive_id)
        if business == run.business and state == ArchiveState.NORMAL:
            added.add(archive_id)
    stamp = int(time.time())
    unseen = [
        [archive_id, first_missed]
        for archive_id, first_missed in sorted(carried.items())
        if archive_id not in visible and stamp - first_missed < UNSEEN_HORIZON_SECONDS
    ]
    missed = (archive_id for archive_id in range(low + 1, run.max_archive_id + 1) if archive_id not in visible)
    unseen += [[archive_id, stamp] for archive_id in missed]
    if len(unseen) > UNSEEN_MAX:
        logger.warning("run %s: %d unseen archive ids, keeping the newest %d", run.pk, len(unseen), UNSEEN_MAX)
        unseen = unseen[-UNSEEN_MAX:]
    if unseen or run.unseen_ids:
        run.unseen_ids = unseen
        RecomputeRun.objects.filter(pk=run.pk).update(unseen_ids=unseen)
    return added


def _incremental_candidates(
    *, run: RecomputeRun, prev: RecomputeRun
) -> tuple[set[int], set[int], list[int], set[int]]:
    """What can have changed since `prev`: archive ids, dirty oids, the dirty marks consumed,
    and the archive ids added (also among the first).

    - marked dirty (stats changed, restored, pub_time edited): by oid, so that the
      page query's unique-key lookup is the only one per archive;
    - boost ended: pub_time in [prev_now - 86400, now - 86400);
    - boost began: pub_time in (prev_now, now];
    - added since `prev` started: id above the highest id it saw, or one it could
      not see yet (plain SQL inserts too).
    """
    window = BOOST_WINDOW_SECONDS
    eligible = AcademyArchive.objects.filter(business=run.business, state=ArchiveState.NORMAL)
    marks = list(DirtyArchive.objects.filter(business=run.business).values_list("id", "oid"))
    ids: set[int] = set(
        eligible.filter(
            Q(pub_time__gte=prev.now_ts - window, pub_time__lt=run.now_ts - window)
            | Q(pub_time__gt=prev.now_ts, pub_time__lte=run.now_ts)
        ).values_list("id", flat=True)
    )
    added = _archives_added_since(run=run, prev=prev)
    ids.update(added)
    return ids, {oid for _, oid in marks}, [mark_id for mark_id, _ in marks], added


def _id_runs(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive integers: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for value in sorted(ids):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def dirty_marks_clear(*, mark_ids: list[int]) -> None:
    """Delete exactly these marks; marks made since they were read survive.

    Every integer inside a run of consecutive read ids was read, so a range delete
    of that run is exact; marks come in bulk, so a few ranges cover thousands.
    """
    runs = _id_runs(mark_ids)
    with transaction.atomic():  # one commit for the lot
        for start in range(0, len(runs), 500):
            condition = Q()
            for low, high in runs[start : start + 500]:
                condition |= Q(id__gte=low, id__lte=high) if high > low else Q(id=low)
            DirtyArchive.objects.filter(condition).delete()


def _marks_before_full_pass(*, business: int) -> list[int]:
    """The marks a full pass starting now settles: it reads every archive's stats after
    this point, so the next incremental pass need not redo them."""
    return list(DirtyArchive.objects.filter(business=business).values_list("id", flat=True))


def _marks_clearer(mark_ids: list[int]) -> Callable[[], None] | None:
    """The pass's last step: clear the marks it settled, committed only after its last batch."""
    return (lambda: dirty_marks_clear(mark_ids=mark_ids)) if mark_ids else None


def hot_recompute_incremental(
    *,
    business: int = Business.VIDEO,
    batch_size: int | None = None,
    now: int | None = None,
    on_batch: Callable[[RecomputeRun], None] | None = None,
    refresh_cache: bool = True,
) -> RecomputeRun:
    """Rescore only what can have changed since the previous successful run.

    With no previous run, or a clock that went backwards, it is a full pass.
    """
    batch_size = _check_batch_size(batch_size)
    run = recompute_run_start(business=business, mode=RunMode.INCREMENTAL, now=now)
    prev = _previous_run(business=business)
    if prev is None or prev.now_ts > run.now_ts:
        run.mode = RunMode.FULL
        run.save(update_fields=["mode"])
        marks = _marks_before_full_pass(business=business)
        _archives_added_since(run=run, prev=prev)  # the gaps only: the scan reads every archive
        pages = scan_pages(business=business, after_id=0, batch_size=batch_size, now=run.now_ts)
        new_archives = True
    else:
        ids, oids, marks, added = _incremental_candidates(run=run, prev=prev)
        pages = id_pages(business=business, ids=ids, oids=oids, batch_size=batch_size, now=run.now_ts)
        new_archives = bool(added)
    _execute(run=run, pages=pages, on_batch=on_batch, after_all=_marks_clearer(marks))
    if refresh_cache and (run.updated or new_archives):
        ranking_cache_refresh(business=business, eligibility_changed=new_archives)
    return run


def archives_mark_dirty(*, oids, business: int = Business.VIDEO) -> None:
    """Durably record that these archives' scores may have changed (in the caller's transaction)."""
    DirtyArchive.objects.bulk_create([DirtyArchive(oid=oid, business=business) for oid in oids], batch_size=1000)


def ranking_generation_bump(*, eligibility: bool = False) -> str:
    """Move readers to new ranking keys: scores always, eligibility when the listed set may have changed.

    The new number is the clock in microseconds when that is higher than +1, so a
    database whose row was rebuilt (tests flush tables; a restore) never hands out a
    number whose pages a cache or a process may still hold.
    """
    from hotrank.selectors import ranking_generations_reload

    fresh = time.time_ns() // 1000
    changes = {"scores": Greatest(F("scores") + 1, fresh)}
    if eligibility:
        changes["eligibility"] = Greatest(F("eligibility") + 1, fresh)
    if not RankingGeneration.objects.filter(pk=1).update(**changes):
        RankingGeneration.objects.get_or_create(pk=1, defaults={"scores": fresh, "eligibility": fresh})
    return ranking_generations_reload()


def ranking_eligibility_bump() -> str:
    return ranking_generation_bump(eligibility=True)


def ranking_changed_on_commit() -> None:
    """The listed set changed outside a recompute: new pages and totals once committed."""
    transaction.on_commit(ranking_eligibility_bump)


@transaction.atomic
def archives_remove(*, archive_ids) -> int:
    """Take archives out of the ranking (state removed); they keep their row and comment."""
    count = AcademyArchive.objects.filter(id__in=archive_ids, state=ArchiveState.NORMAL).update(
        state=ArchiveState.REMOVED, mtime=timezone.now()
    )
    if count:
        ranking_changed_on_commit()
    return count


@transaction.atomic
def archives_restore(*, archive_ids) -> int:
    """Put removed archives back; they are marked dirty, since their score went stale while out."""
    archives = list(AcademyArchive.objects.filter(id__in=archive_ids, state=ArchiveState.REMOVED))
    AcademyArchive.objects.filter(id__in=[a.id for a in archives]).update(
        state=ArchiveState.NORMAL, mtime=timezone.now()
    )
    for b in {a.business for a in archives}:
        archives_mark_dirty(oids=[a.oid for a in archives if a.business == b], business=b)
    if archives:
        ranking_changed_on_commit()
    return len(archives)


@transaction.atomic
def archive_video_follow(*, oid: int, region_id: int, pub_time: int, business: int = Business.VIDEO) -> int:
    """The video's region or pub_time changed: its archive's copies follow, and it is rescored next pass."""
    count = AcademyArchive.objects.filter(oid=oid, business=business).update(
        region_id=region_id, pub_time=pub_time, mtime=timezone.now()
    )
    if count:
        archives_mark_dirty(oids=[oid], business=business)
        ranking_changed_on_commit()
    return count


@dataclass
class ArchivesAdded:
    created: list[AcademyArchive] = field(default_factory=list)
    restored: list[AcademyArchive] = field(default_factory=list)
    present: list[AcademyArchive] = field(default_factory=list)  # already in the ranking: untouched
    missing: list[int] = field(default_factory=list)  # vids with no normal video
    run: RecomputeRun | None = None  # the rescore of the created and restored ones
    not_scored: str = ""  # why they were left to the next pass
    scored_on_commit: bool = False  # added inside the caller's transaction: scored once it commits

    @property
    def added(self) -> list[AcademyArchive]:
        return self.created + self.restored


@transaction.atomic
def _archives_add(*, vids, comment: str) -> ArchivesAdded:
    from videos.models import VideoInfo, VideoState

    vids = list(dict.fromkeys(vids))
    result = ArchivesAdded()
    videos = {}
    for start in range(0, len(vids), 1000):
        chunk = vids[start : start + 1000]
        rows = VideoInfo.objects.filter(vid__in=chunk, state=VideoState.NORMAL).only("vid", "region_id", "pub_time")
        videos.update((v.vid, v) for v in rows)
    result.missing = [vid for vid in vids if vid not in videos]
    existing = {}
    found = list(videos)
    for start in range(0, len(found), 1000):
        existing.update(
            (a.oid, a) for a in AcademyArchive.objects.select_for_update().filter(oid__in=found[start : start + 1000])
        )
    stamp = timezone.now()
    new = []
    for vid, video in videos.items():
        archive = existing.get(vid)
        if archive is None:
            new.append(AcademyArchive(oid=vid, business=Business.VIDEO, region_id=video.region_id,
                                      pub_time=video.pub_time, comment=comment))  # fmt: skip
        elif archive.state == ArchiveState.NORMAL:
            result.present.append(archive)
        else:
            archive.state, archive.region_id, archive.pub_time = ArchiveState.NORMAL, video.region_id, video.pub_time
            AcademyArchive.objects.filter(pk=archive.pk).update(
                state=ArchiveState.NORMAL, region_id=video.region_id, pub_time=video.pub_time, mtime=stamp
            )
            result.restored.append(archive)
    if new:
        for archive in new:
            archive.full_clean(validate_unique=False)
        AcademyArchive.objects.bulk_create(new, batch_size=1000)
        oids = [a.oid for a in new]
        for start in range(0, len(oids), 1000):
            result.created += AcademyArchive.objects.filter(oid__in=oids[start : start + 1000]).order_by("id")
    if result.restored:  # their scores went stale while out; new ids are picked up by the next pass anyway
        archives_mark_dirty(oids=[a.oid for a in result.restored])
    if result.added:
        ranking_changed_on_commit()
    return result


def archives_add(*, vids, comment: str = "", rescore: bool = True) -> ArchivesAdded:
    """Put videos in the ranking pool: create their archives, or restore removed ones.

    The archive copies the video's region and pub_time. Deleted and unknown
    videos are left out (`missing`). With `rescore`, the added archives are
    scored at once (archives_rescore) after the additions commit; if another run
    holds the lock they are scored by the next pass instead (`not_scored`).
    """
    result = _archives_add(vids=vids, comment=comment)
    if rescore and result.added and connection.in_atomic_block:
        # Inside the caller's transaction (the admin's add form) a run would hold the lock and
        # the generation row until the request ends, and preheat pages from uncommitted rows:
        # score them once the additions commit instead.
        ids = [a.id for a in result.added]
        transaction.on_commit(lambda: _rescore_quietly(archive_ids=ids), robust=True)
        result.scored_on_commit = True
    elif rescore and result.added:
        try:
            result.run = archives_rescore(archive_ids=[a.id for a in result.added])
        except RecomputeAlreadyRunning as exc:
            result.not_scored = str(exc)
        else:
            hots = dict(AcademyArchive.objects.filter(id__in=[a.id for a in result.added]).values_list("id", "hot"))
            for archive in result.added:
                archive.hot = hots.get(archive.id, archive.hot)
    return result


def _rescore_quietly(*, archive_ids) -> None:
    try:
        archives_rescore(archive_ids=archive_ids)
    except RecomputeAlreadyRunning:
        logger.info("archives %s are left to the next pass: a run is active", archive_ids)


def archives_rescore(
    *, archive_ids, business: int = Business.VIDEO, batch_size: int | None = None, now: int | None = None
) -> RecomputeRun:
    """Rescore just these archives now, as a run of mode `selected` (which takes the business's lock).

    Only eligible archives (normal, of `business`) are scored. Dirty marks are
    left for the next incremental pass, which rescores them again harmlessly.
    Raises RecomputeAlreadyRunning.
    """
    batch_size = _check_batch_size(batch_size)
    run = recompute_run_start(business=business, mode=RunMode.SELECTED, now=now)
    pages = id_pages(business=business, ids=set(archive_ids), batch_size=batch_size, now=run.now_ts)
    _execute(run=run, pages=pages, on_batch=None)
    if run.updated:
        ranking_cache_refresh(business=business)
    return run


@transaction.atomic
def archive_comment_set(*, archive_id: int, comment: str) -> AcademyArchive:
    """Set an archive's operator comment; only that column is written (a concurrent recompute keeps its hot)."""
    archive = AcademyArchive.objects.select_for_update().get(pk=archive_id)
    archive.comment = comment
    archive.clean_fields(exclude=[f.name for f in AcademyArchive._meta.fields if f.name != "comment"])
    archive.mtime = timezone.now()
    AcademyArchive.objects.filter(pk=archive_id).update(comment=comment, mtime=archive.mtime)
    return archive


def recompute_full_enqueue(*, business: int = Business.VIDEO) -> str:
    """Queue a full recompute on the django-q2 cluster (the admin's button); returns the task id."""
    from django_q.tasks import async_task

    return async_task("hotrank.tasks.recompute_full", business, task_name=f"recompute-full-{business}-admin")


# --- Partitioned passes --------------------------------------------------------------------


def recompute_partitioned_start(
    *, business: int = Business.VIDEO, partitions: int, batch_size: int | None = None, now: int | None = None
) -> RecomputeRun:
    """Split the id range into `partitions` django-q2 tasks under one parent run.

    Each partition keeps its own checkpoint; the parent succeeds when every
    partition has. A partition whose worker died is re-delivered by the broker and
    continues from its checkpoint; a failed one is resumed with `--resume`.
    """
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    batch_size = _check_batch_size(batch_size)
    # The parent (which holds the lock) and its partitions commit together: a parent
    # without partitions would otherwise settle as an empty success.
    with transaction.atomic():
        run = recompute_run_start(business=business, mode=RunMode.PARTITION, now=now)
        _archives_added_since(run=run, prev=_previous_run(business=business))  # the gaps only
        bounds = AcademyArchive.objects.filter(business=business, state=ArchiveState.NORMAL).aggregate(
            lo=Min("id"), hi=Max("id")
        )
        lo, hi = (bounds["lo"] or 1) - 1, bounds["hi"] or 0
        step = max(1, -(-(hi - lo) // partitions))
        stamp = timezone.now()
        children = []
        for start in range(lo, max(hi, lo + 1), step):
            children.append(
                RecomputeRun(
                    business=business, mode=RunMode.PARTITION, now_ts=run.now_ts, status=RunStatus.RUNNING,
                    started_at=stamp, heartbeat_at=stamp, parent=run, id_from=start, id_to=min(start + step, hi),
                    last_id=start, max_archive_id=run.max_archive_id,
                )  # fmt: skip
            )
        RecomputeRun.objects.bulk_create(children)
        return recompute_partitions_enqueue(run=run, batch_size=batch_size)


def recompute_partitions_enqueue(*, run: RecomputeRun, batch_size: int) -> RecomputeRun:
    """Queue a task for every unfinished partition of `run` (also how a failed run resumes)."""
    from django_q.tasks import async_task

    pending = list(run.partitions.exclude(status=RunStatus.SUCCEEDED).values_list("id", flat=True))
    RecomputeRun.objects.filter(id__in=pending).update(status=RunStatus.RUNNING, error="", finished_at=None)
    if not pending:
        recompute_partitions_settle(parent_id=run.pk)
        run.refresh_from_db()
    for child_id in pending:
        # robust: one failed enqueue must not stop the others; an unqueued partition stays
        # "running", the parent's heartbeat goes stale, and --resume queues it again.
        transaction.on_commit(
            lambda child_id=child_id: async_task(
                "hotrank.tasks.recompute_partition", child_id, batch_size, task_name=f"recompute-partition-{child_id}"
            ),
            robust=True,
        )
    return run


def recompute_partition_execute(*, partition_id: int, batch_size: int) -> RecomputeRun:
    """Run one partition from its checkpoint, then settle the parent."""
    child = RecomputeRun.objects.select_related("parent").get(pk=partition_id)
    if child.parent.status != RunStatus.RUNNING:
        return child  # the run was failed (stale, or a sibling failed); --resume requeues it
    if child.status == RunStatus.SUCCEEDED:
        return child  # a re-delivered task whose work is done
    pages = scan_pages(
        business=child.business, after_id=child.last_id, batch_size=batch_size, now=child.now_ts, id_to=child.id_to
    )
    try:
        _execute(run=child, pages=pages, on_batch=None)
    finally:
        recompute_partitions_settle(parent_id=child.parent_id)
    return child


def recompute_partitions_settle(*, parent_id: int) -> None:
    """Finish the parent once no partition is running: succeeded if all did."""
    with transaction.atomic():
        parent = RecomputeRun.objects.select_for_update().get(pk=parent_id)
        if parent.status != RunStatus.RUNNING:
            return
        states = list(parent.partitions.values_list("status", "scanned", "updated", "error"))
        if any(status == RunStatus.RUNNING for status, *_ in states):
            return
        if not states:
            recompute_run_finish(run=parent, error="no partitions (the run died while it was being set up)")
            return
        parent.scanned = sum(s for _, s, _, _ in states)
        parent.updated = sum(u for _, _, u, _ in states)
        parent.save(update_fields=["scanned", "updated"])
        errors = [e for status, _, _, e in states if status == RunStatus.FAILED]
        summary = f"{len(errors)} partition(s) failed; first: {errors[0]}" if errors else ""
        recompute_run_finish(run=parent, error=summary)
    if not errors:
        ranking_cache_refresh(business=parent.business, eligibility_changed=True)


# --- Cache ------------------------------------------------------------------------------

PREHEAT_LIMIT = 50


def ranking_cache_refresh(*, business: int, eligibility_changed: bool = False) -> str:
    """Move readers to a new ranking generation and warm its most-read pages.

    Readers switch keys atomically when the generation changes, so nothing is
    purged and no page mixes generations. When the listed set may have changed,
    the totals (a count over the joined tables, seconds at a million rows) are
    counted before the switch and stored under the new keys at once, so no reader
    of the new generation waits for them. Warming the pages then costs an index
    walk each here instead of a burst of misses on the web tier. Returns the new
    generation.
    """
    from hotrank.selectors import PAGE_TTL, ranking_page_json, ranking_region_ids, ranking_total, ranking_total_key

    region_ids = ranking_region_ids(business=business)
    totals = {}
    if eligibility_changed:
        totals = {region_id: ranking_total(business=business, region_id=region_id) for region_id in [None, *region_ids]}
    gen = ranking_generation_bump(eligibility=eligibility_changed)
    eligibility = int(gen.split(".")[1])
    for region_id, total in totals.items():
        cache_set(ranking_total_key(eligibility=eligibility, business=business, region_id=region_id), total, PAGE_TTL)
    for offset in (0, PREHEAT_LIMIT):
        ranking_page_json(business=business, offset=offset, limit=PREHEAT_LIMIT)
    for region_id in region_ids:
        ranking_page_json(business=business, region_id=region_id, offset=0, limit=PREHEAT_LIMIT)
    return gen

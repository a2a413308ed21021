"""The recompute engine's moving parts: page sources, scoring, and batch writers.

Plain cursor SQL on purpose: QuerySet.bulk_update spends most of its time
building expressions (8.5k rows/s here against 58k rows/s for one hand-built
CASE statement of 1,000 rows). Business operations live in hotrank.services.
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from hotrank.formula import ScoreInput, hot_scores
from hotrank.models import SCAN_INDEX, AcademyArchive, ArchiveState, RecomputeRun, RunStatus
from mybili.db import index_hint, quoted_table
from videos.models import VideoStat

MAX_BATCH_SIZE = 10_000  # bounds one statement (about 30 bytes a row) and one transaction's row locks


class Page(NamedTuple):
    scanned: int  # rows read
    last_id: int  # the last id read: the checkpoint once the page commits
    hots: dict[int, int]  # {archive id: new hot} of the rows whose hot changed


def scan_sql(*, bounded: bool = False) -> str:
    """Keyset page of the scan, pinned to the (business, state, id) index.

    Without the hint MariaDB picks a `ref` on (business, state) and filters `id`
    from the start of the index on every page, which makes a pass quadratic.
    """
    upper = "AND id <= %s " if bounded else ""
    return (
        f"SELECT id, hot, oid, pub_time FROM {quoted_table(AcademyArchive)} {index_hint(SCAN_INDEX)} "
        f"WHERE business = %s AND state = %s AND id > %s {upper}ORDER BY id LIMIT %s"
    )


def _int_list(values: Iterable[int]) -> str:
    """Integers rendered inline: the driver quotes bound parameters one by one in Python
    (about half of an incremental pass's Python time); `int()` keeps anything else out."""
    return ", ".join([str(int(value)) for value in values])


def _stats_sql(vids: Iterable[int]) -> str:
    return (
        "SELECT vid, view, like_count, coin, fav, share, reply, danmaku "
        f"FROM {quoted_table(VideoStat)} WHERE vid IN ({_int_list(vids)})"
    )


# The server tries a CASE's WHENs one by one: a flat CASE of 1,000 rows costs ~500
# comparisons a row, about a sixth of the UPDATE on MariaDB. Nested CASEs that halve
# the id range down to leaves of this many WHENs make it ~40 (measured best at 64).
CASE_LEAF_SIZE = 64


def _hot_case(pairs: Sequence[tuple[int, int]]) -> str:
    """The new hot of each id in `pairs` ((id, hot), sorted by id), as a CASE expression."""
    if len(pairs) <= CASE_LEAF_SIZE:
        return "CASE id " + " ".join([f"WHEN {int(archive_id)} THEN {int(hot)}" for archive_id, hot in pairs]) + " END"
    middle = len(pairs) // 2
    return (
        f"CASE WHEN id < {int(pairs[middle][0])} THEN {_hot_case(pairs[:middle])} "
        f"ELSE {_hot_case(pairs[middle:])} END"
    )


def _update_sql(hots: dict[int, int]) -> str:
    """The batch's CASE UPDATE; its one parameter is mtime."""
    pairs = sorted(hots.items())
    table = quoted_table(AcademyArchive)
    return f"UPDATE {table} SET hot = {_hot_case(pairs)}, mtime = %s WHERE id IN ({_int_list(hots)})"


_NO_STATS = (0, 0, 0, 0, 0, 0, 0)  # a missing stat row scores 0


def _changed_hots(rows: Sequence[tuple], inputs: Iterable[ScoreInput], now: int) -> dict[int, int]:
    """{archive id: hot} of the rows whose new score differs; each row starts (id, hot), and
    `inputs` are the rows' formula inputs, in the same order."""
    return {row[0]: hot for row, hot in zip(rows, hot_scores(inputs, now=now), strict=True) if hot != row[1]}


def archive_hot_write(*, hots: dict[int, int]) -> int:
    """One CASE-based UPDATE for the whole batch; returns the rows written."""
    if not hots:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(hots), [connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.rowcount


# --- Page sources -------------------------------------------------------------------


def scan_pages(*, business: int, after_id: int, batch_size: int, now: int, id_to: int | None = None) -> Iterator[Page]:
    """Keyset pages of eligible archives with id in (after_id, id_to], scored."""
    while True:
        params = [business, ArchiveState.NORMAL.value, after_id] + ([id_to] if id_to is not None else []) + [batch_size]
        with connection.cursor() as cursor:
            cursor.execute(scan_sql(bounded=id_to is not None), params)
            rows = cursor.fetchall()  # (id, hot, oid, pub_time)
            if not rows:
                return
            cursor.execute(_stats_sql(row[2] for row in rows))
            stats = {vid: counts for vid, *counts in cursor.fetchall()}
        inputs = ((pub_time, *stats.get(oid, _NO_STATS)) for _, _, oid, pub_time in rows)
        after_id = rows[-1][0]
        yield Page(len(rows), after_id, _changed_hots(rows, inputs, now))
        if len(rows) < batch_size:
            return


def id_pages(
    *, business: int, ids: Iterable[int], batch_size: int, now: int, oids: Iterable[int] = ()
) -> Iterator[Page]:
    """Pages of the eligible archives among `ids` (archive ids) and `oids` (vids), scored once each.

    Scattered rows cost a random read each, so rows and stats come in one joined
    query per page rather than two (this is the incremental pass's hot path).
    """
    seen: set[int] = set()
    for column, keys in (("oid", sorted(oids)), ("id", sorted(ids))):
        for start in range(0, len(keys), batch_size):
            chunk = keys[start : start + batch_size]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT a.id, a.hot, a.pub_time, s.view, s.like_count, s.coin, s.fav, s.share, s.reply, s.danmaku "
                    f"FROM {quoted_table(AcademyArchive)} a LEFT JOIN {quoted_table(VideoStat)} s ON s.vid = a.oid "
                    f"WHERE a.{column} IN ({_int_list(chunk)}) AND a.business = %s AND a.state = %s ORDER BY a.id",
                    [business, ArchiveState.NORMAL.value],
                )
                rows = [row for row in cursor.fetchall() if row[0] not in seen]  # (id, hot, pub_time, counts...)
            if rows:
                seen.update(row[0] for row in rows)
                # (COALESCE would turn MariaDB's unsigned counts into Decimals)
                inputs = (row[2:] if row[3] is not None else (row[2], *_NO_STATS) for row in rows)
                yield Page(len(rows), rows[-1][0], _changed_hots(rows, inputs, now))


# --- Writers --------------------------------------------------------------------------


class RunFenced(Exception):
    """The run is no longer the live one (reaped as stale, or its parent ended): stop writing."""


def checkpoint_save(*, run: RecomputeRun, scanned: int, updated: int, last_id: int) -> None:
    """Advance the run's counters and checkpoint; called inside the batch's transaction.

    The update is fenced on the run still running: a process that was presumed dead
    and reaped must not go on writing (its batch rolls back with the RunFenced).
    """
    stamp = timezone.now()
    alive = RecomputeRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        scanned=F("scanned") + scanned, updated=F("updated") + updated, last_id=last_id, heartbeat_at=stamp
    )
    if alive and run.parent_id:  # a partition keeps its whole run alive, while that run lives
        alive = RecomputeRun.objects.filter(pk=run.parent_id, status=RunStatus.RUNNING).update(heartbeat_at=stamp)
    if not alive:
        raise RunFenced(f"run {run.pk} is no longer running (reaped as stale, or its run ended); batch rolled back")
    run.scanned += scanned
    run.updated += updated
    run.last_id = last_id


class _BatchAborted(Exception):
    """An earlier batch failed, so this one must not commit."""


class _InOrderCommits:
    """Lets writers run their UPDATEs in parallel but commit in batch order.

    Committed batches therefore always form a prefix of the pass, and the
    checkpoint committed with batch k means exactly "batches 1..k are written".
    A failed batch aborts only the batches after it: those before it still commit.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._next = 0
        self._failed_seq: int | None = None  # the earliest batch that failed
        self.error: BaseException | None = None

    def aborts(self, seq: int) -> bool:
        """True once a batch at or before `seq` has failed: batch `seq` must not commit."""
        failed = self._failed_seq
        return failed is not None and seq >= failed

    def wait_turn(self, seq: int) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._next == seq or self.aborts(seq))
            if self.aborts(seq):
                raise _BatchAborted

    def committed(self, seq: int) -> None:
        with self._cond:
            self._next = seq + 1
            self._cond.notify_all()

    def fail(self, exc: BaseException, *, seq: int | None = None) -> None:
        """Batch `seq` failed. Without `seq` (the final step failed), no batch still waiting for
        its turn may commit."""
        with self._cond:
            seq = self._next if seq is None else seq
            if self._failed_seq is None or seq < self._failed_seq:
                self._failed_seq, self.error = seq, exc
            self._cond.notify_all()


def _write_serially(*, run, pages, on_batch, after_all) -> None:
    for page in pages:
        with transaction.atomic():
            written = archive_hot_write(hots=page.hots)
            checkpoint_save(run=run, scanned=page.scanned, updated=written, last_id=page.last_id)
        if on_batch is not None:
            on_batch(run)
    if after_all is not None:
        with transaction.atomic():
            after_all()


def _write_in_parallel(*, run, pages, on_batch, writers: int, after_all) -> None:
    """Score on this thread while `writers` threads, each on its own connection, write.

    Measured on MariaDB (2 cores, 1,000-row pages): one connection spends ~1.5x the
    set-based floor in UPDATEs alone; two connections let the server evaluate two
    CASE statements at once, and scoring overlaps with both. `after_all` runs here
    while the writers finish, in a transaction committed only once they all have.
    """
    work: queue.Queue = queue.Queue(maxsize=writers * 2)
    commits = _InOrderCommits()
    progress_lock = threading.Lock()

    def writer():
        try:
            try:
                connection.ensure_connection()  # connect while the first page is read, not after
            except BaseException as exc:
                commits.fail(exc, seq=0)  # no batch may commit; this writer still drains the queue
            while True:
                item = work.get()
                if item is None:
                    return
                seq, page = item
                if commits.aborts(seq):
                    continue  # drain: nothing after a failed batch may commit
                try:
                    with transaction.atomic():
                        written = archive_hot_write(hots=page.hots)
                        commits.wait_turn(seq)
                        with progress_lock:
                            checkpoint_save(run=run, scanned=page.scanned, updated=written, last_id=page.last_id)
                    commits.committed(seq)
                except _BatchAborted:
                    pass
                except BaseException as exc:
                    commits.fail(exc, seq=seq)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, name=f"recompute-writer-{i}", daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()

    def join_writers():
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()

    queued = 0
    try:
        for page in pages:
            if commits.error is not None:
                break
            work.put((queued, page))
            queued += 1
            if on_batch is not None:
                with progress_lock:
                    on_batch(run)
    except BaseException as exc:
        commits.fail(exc, seq=queued)  # the batches already queued may still commit
    if after_all is None or commits.error is not None:
        join_writers()
    else:
        try:
            with transaction.atomic():  # committed after every batch, rolled back if one failed
                after_all()
                join_writers()
                if commits.error is not None:
                    raise commits.error
        except BaseException as exc:
            commits.fail(exc)  # no batch may commit after a failed after_all
            join_writers()  # idempotent once the threads have ended
    if commits.error is not None:
        raise commits.error


def _writer_count() -> int:
    # A second connection cannot see an open transaction's rows, and SQLite has a
    # single writer, so parallel writes are for MySQL outside a transaction only.
    if connection.vendor == "mysql" and not connection.in_atomic_block:
        return max(1, settings.RECOMPUTE_WRITERS)
    return 0


def pages_write(
    *,
    run: RecomputeRun,
    pages: Iterator[Page],
    on_batch: Callable | None = None,
    after_all: Callable[[], None] | None = None,
) -> None:
    """Write every page, one transaction per batch, checkpointing the run as it goes.

    `after_all` (clearing the dirty marks the pass settles) commits only if every
    batch did; with parallel writers it overlaps the last batches.
    """
    try:
        writers = _writer_count()
        if writers:
            _write_in_parallel(run=run, pages=pages, on_batch=on_batch, writers=writers, after_all=after_all)
        else:
            _write_serially(run=run, pages=pages, on_batch=on_batch, after_all=after_all)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()

import time

from django.core.management.base import BaseCommand, CommandError

from hotrank.engine import MAX_BATCH_SIZE
from hotrank.models import Business, RecomputeRun, RunStatus
from hotrank.services import (
    NothingToResume,
    RecomputeAlreadyRunning,
    hot_recompute,
    hot_recompute_incremental,
    recompute_partitioned_start,
)


def _batch_size(value: str) -> int:
    size = int(value)
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError
    return size


_batch_size.__name__ = f"batch size (1..{MAX_BATCH_SIZE})"


def _partitions(value: str) -> int:
    count = int(value)
    if not 1 <= count <= 256:
        raise ValueError
    return count


_partitions.__name__ = "partition count (1..256)"


class Command(BaseCommand):
    help = "Rescore the curated archives of a business with the academy hot formula."

    def add_arguments(self, parser):
        parser.add_argument("--business", type=int, default=Business.VIDEO, choices=Business.values)
        parser.add_argument("--batch-size", type=_batch_size, default=None, help="rows per batch (default 1000)")
        parser.add_argument("--now", type=int, default=None, help="score as of this unix time (default: now)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--resume", action="store_true", help="continue the newest failed run from its checkpoint")
        mode.add_argument("--incremental", action="store_true", help="rescore only what changed since the last run")
        mode.add_argument("--partitions", type=_partitions, default=None,
                          help="split the pass into N django-q2 tasks (needs a running qcluster)")
        parser.add_argument("--wait", action="store_true", help="with --partitions: wait for the run to finish")

    def handle(self, *args, business, batch_size, now, resume, incremental, partitions, wait, **options):
        if resume and now is not None:
            raise CommandError("--resume reuses the failed run's own --now; do not pass --now with it")
        started = time.monotonic()
        last_report = [0.0]

        def progress(run):
            elapsed = time.monotonic() - started
            if elapsed - last_report[0] >= 1.0:
                last_report[0] = elapsed
                rate = run.scanned / max(elapsed, 1e-9)
                self.stderr.write(f"  scanned {run.scanned:,}  updated {run.updated:,}  {rate:,.0f} rows/s")

        try:
            if partitions:
                run = recompute_partitioned_start(
                    business=business, partitions=partitions, batch_size=batch_size, now=now
                )
            elif incremental:
                run = hot_recompute_incremental(business=business, batch_size=batch_size, now=now, on_batch=progress)
            else:
                run = hot_recompute(business=business, batch_size=batch_size, now=now, resume=resume,
                                    on_batch=progress)
        except RecomputeAlreadyRunning as exc:
            self.stdout.write(f"already running: {exc}")
            return
        except NothingToResume as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            raise CommandError(f"recompute failed: {type(exc).__name__}: {exc}") from exc

        if run.status == RunStatus.FAILED:
            raise CommandError(f"run {run.pk} failed: {run.error}")
        if run.status == RunStatus.RUNNING:  # partitions are queued
            self.stdout.write(f"run {run.pk}: {run.partitions.count()} partitions queued for qcluster")
            if not wait:
                return
            while run.status == RunStatus.RUNNING:
                time.sleep(1)
                run = RecomputeRun.objects.get(pk=run.pk)
                done = run.partitions.filter(status=RunStatus.SUCCEEDED).count()
                self.stderr.write(f"  {done}/{run.partitions.count()} partitions done")
            if run.status == RunStatus.FAILED:
                raise CommandError(f"run {run.pk} failed: {run.error}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"run {run.pk} ({run.mode}) succeeded: business {run.business}, now {run.now_ts}, "
                f"scanned {run.scanned:,}, updated {run.updated:,} in {elapsed:.2f} s "
                f"({run.scanned / max(elapsed, 1e-9):,.0f} rows/s)"
            )
        )

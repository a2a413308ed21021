import time

from django.core.management.base import BaseCommand, CommandError

from hotrank.engine import MAX_BATCH_SIZE
from hotrank.models import Business
from hotrank.services import NothingToResume, RecomputeAlreadyRunning, hot_recompute


def _batch_size(value: str) -> int:
    size = int(value)
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError
    return size


_batch_size.__name__ = f"batch size (1..{MAX_BATCH_SIZE})"


class Command(BaseCommand):
    help = "Rescore every curated archive of a business with the academy hot formula."

    def add_arguments(self, parser):
        parser.add_argument("--business", type=int, default=Business.VIDEO, choices=Business.values)
        parser.add_argument("--batch-size", type=_batch_size, default=None, help="rows per batch (default 1000)")
        parser.add_argument("--now", type=int, default=None, help="score as of this unix time (default: now)")
        parser.add_argument("--resume", action="store_true", help="continue the newest failed run from its checkpoint")

    def handle(self, *args, business, batch_size, now, resume, **options):
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
            run = hot_recompute(business=business, batch_size=batch_size, now=now, resume=resume, on_batch=progress)
        except RecomputeAlreadyRunning as exc:
            self.stdout.write(f"already running: {exc}")
            return
        except NothingToResume as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            raise CommandError(f"recompute failed: {type(exc).__name__}: {exc}") from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"run {run.pk} succeeded: business {run.business}, now {run.now_ts}, scanned {run.scanned:,}, "
                f"updated {run.updated:,} in {elapsed:.2f} s ({run.scanned / max(elapsed, 1e-9):,.0f} rows/s)"
            )
        )

import time

from django.core.management.base import BaseCommand, CommandError

from videos.demo import demo_data_seed


class Command(BaseCommand):
    help = "Insert N synthetic videos with stats and academy archives (hot=0 until the next recompute)."

    def add_arguments(self, parser):
        parser.add_argument("--videos", type=int, required=True, help="how many videos to add (> 0)")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")
        parser.add_argument("--now", type=int, default=None, help="unix seconds pub_time is spread back from")

    def handle(self, *args, videos, seed, now, **options):
        if videos <= 0:
            raise CommandError(f"--videos must be a positive integer, got {videos}")
        start = time.monotonic()

        def progress(done, total):
            elapsed = time.monotonic() - start
            self.stdout.write(f"inserted {done}/{total} videos ({done / elapsed:,.0f} videos/s)")

        count = demo_data_seed(videos=videos, seed=seed, now=now, on_progress=progress)
        elapsed = time.monotonic() - start
        self.stdout.write(self.style.SUCCESS(
            f"seeded {count} videos (+{count} stats, +{count} archives) in {elapsed:.1f}s: "
            f"{count / elapsed:,.0f} videos/s, {3 * count / elapsed:,.0f} rows/s"
        ))

"""Recompute engine against its floor and a naive ORM loop, measured in one run.

    make bench-recompute [N=200000] [PARTS=full,incremental,naive]

Figures are printed as rows/s and as ratios against baselines measured in the
same process, since the machine is shared and noisy:
  - floor (MySQL only): one set-based `UPDATE ... JOIN` computing the same values
    inside the database, the least work any engine can do;
  - naive: the per-row ORM loop (get stat, compute, save) on a sample, extrapolated.
Every timed full pass starts from hot = 0 so that every row is written.
PARTS picks the sections to run (all three by default).
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._setup import django_setup, ratio  # noqa: E402

N = int(os.environ.get("N", "200000"))
BATCH = int(os.environ.get("BATCH", "1000"))
NAIVE_SAMPLE = 2000
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DIRTY = float(os.environ.get("DIRTY", "0.01"))
PARTS = set(os.environ.get("PARTS", "full,incremental,naive").split(","))
# The incremental schedule's interval: each timed pass scores 60 s after the run before it.
CLOCK_STEP = 60
NOW = 1_780_000_000


def main():
    django_setup()
    from django.db import connection, transaction

    from hotrank.formula import hot_score
    from hotrank.models import AcademyArchive
    from hotrank.services import hot_recompute  # noqa: F401
    from videos.demo import demo_data_seed
    from videos.models import VideoStat

    have = AcademyArchive.objects.count()
    if have < N:
        print(f"seeding {N - have:,} videos into {connection.settings_dict['NAME']} ...", flush=True)
        t = time.perf_counter()
        demo_data_seed(videos=N - have, seed=42, now=NOW)
        print(f"  seeded in {time.perf_counter() - t:.1f} s", flush=True)
    n = AcademyArchive.objects.filter(business=1, state=0).count()
    print(f"backend {connection.vendor}, {n:,} eligible archives, batch {BATCH}", flush=True)
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@version, @@innodb_buffer_pool_size")
            version, pool = cursor.fetchone()
        # A pool smaller than the tables turns random lookups (dirty marks, stats) into disk reads.
        print(f"server {version}, innodb_buffer_pool_size {pool / 2**20:,.0f} MiB", flush=True)

    def purge_wait():
        """Start a timed pass on a quiet server: InnoDB purges the undo of earlier updates
        in the background (a million rows' worth after a full pass), on the same cores.
        Waits until purge has reached every transaction committed so far."""
        if connection.vendor != "mysql":
            return
        import re

        def purge_state():
            with connection.cursor() as cursor:
                cursor.execute("SHOW ENGINE INNODB STATUS")
                status = cursor.fetchone()[2]
            done = re.search(r"Purge done for trx's n:o < (\d+)", status)
            counter = re.search(r"Trx id counter (\d+)", status)
            return (int(done.group(1)), int(counter.group(1))) if done and counter else None

        state = purge_state()
        if state is None:
            return  # a server that does not report purge progress: nothing to wait for
        target = state[1]
        deadline = time.monotonic() + 180
        while state is not None and state[0] < target:
            if time.monotonic() > deadline:  # an open transaction elsewhere holds purge back
                print("  (purge still behind after 180 s; timing anyway)", flush=True)
                return
            time.sleep(0.1)
            state = purge_state()

    def reset():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE academy_archive SET hot = 0")

    def checksum():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*), SUM(hot) FROM academy_archive WHERE business = 1 AND state = 0")
            return tuple(int(v or 0) for v in cursor.fetchone())

    floor_sql = """
        UPDATE academy_archive a LEFT JOIN video_stat s ON s.vid = a.oid
        SET a.hot = CASE
              WHEN a.pub_time BETWEEN %(now)s - 86400 AND %(now)s THEN
                (40*COALESCE(s.coin,0) + 30*COALESCE(s.fav,0) + 40*COALESCE(s.danmaku,0)
                 + 40*COALESCE(s.reply,0) + 25*COALESCE(s.view,0) + 40*COALESCE(s.like_count,0)
                 + 60*COALESCE(s.share,0)) * 3 DIV 200
              ELSE
                (40*COALESCE(s.coin,0) + 30*COALESCE(s.fav,0) + 40*COALESCE(s.danmaku,0)
                 + 40*COALESCE(s.reply,0) + 25*COALESCE(s.view,0) + 40*COALESCE(s.like_count,0)
                 + 60*COALESCE(s.share,0)) DIV 100
            END,
            a.mtime = UTC_TIMESTAMP(6)
        WHERE a.business = 1 AND a.state = 0
    """

    def time_engine():
        reset()
        purge_wait()
        t = time.perf_counter()
        run = hot_recompute(now=NOW, batch_size=BATCH, refresh_cache=False)
        took = time.perf_counter() - t
        assert run.updated == updated_expected or updated_expected is None, run.updated
        return took

    def time_floor():
        reset()
        purge_wait()
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(floor_sql, {"now": NOW})
        return time.perf_counter() - t

    # Interleaved rounds: a noisy neighbour hits both sides alike; the best of each is reported.
    updated_expected = None
    engine_times, floor_times = [], []
    results = {}
    for r in range(ROUNDS if "full" in PARTS else 0):
        engine_times.append(time_engine())
        engine_sum = checksum()
        line = f"round {r + 1}: engine {engine_times[-1]:.2f} s"
        if connection.vendor == "mysql":
            floor_times.append(time_floor())
            floor_sum = checksum()
            if floor_sum != engine_sum:
                print(f"MISMATCH: engine {engine_sum} != floor {floor_sum}")
                sys.exit(1)
            line += f", floor {floor_times[-1]:.2f} s, ratio {ratio(engine_times[-1], floor_times[-1])}"
        print(line, flush=True)
    if engine_times:
        results["engine"] = min(engine_times)
        print(f"engine: best {results['engine']:.2f} s, {n / results['engine']:,.0f} rows/s", flush=True)
    if floor_times:
        results["floor"] = min(floor_times)
        print(f"floor (set-based UPDATE ... JOIN): best {results['floor']:.2f} s, {n / results['floor']:,.0f} rows/s")
        print("  engine and floor wrote identical scores (count, sum) in every round")

    if "incremental" in PARTS:
        # Incremental against full, with DIRTY (default 1 %) of the archives' stats changed.
        import random

        from hotrank.services import archives_mark_dirty, hot_recompute_incremental

        rng = random.Random(5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM academy_archive WHERE business = 1 AND state = 0")
            oids = [row[0] for row in cursor.fetchall()]
        dirty = rng.sample(oids, max(1, int(len(oids) * DIRTY)))

        def touch_stats():
            with transaction.atomic():
                for start in range(0, len(dirty), 1000):
                    chunk = dirty[start : start + 1000]
                    with connection.cursor() as cursor:
                        placeholders = ", ".join(["%s"] * len(chunk))
                        cursor.execute(f"UPDATE video_stat SET view = view + 997 WHERE vid IN ({placeholders})", chunk)
                archives_mark_dirty(oids=dirty)

        # Both timed passes get the same change: DIRTY of the stats, and a clock CLOCK_STEP
        # past the run before (the boost windows move as far for both).
        clock = NOW + 10 + 10 * CLOCK_STEP  # past every clock the full rounds used
        hot_recompute(now=clock, batch_size=BATCH, refresh_cache=False)  # the base the incremental pass starts from
        inc_times, full_times, inc_ratios = [], [], []

        def timed_pass(recompute):
            nonlocal clock
            touch_stats()
            purge_wait()
            clock += CLOCK_STEP
            t = time.perf_counter()
            run = recompute(now=clock, batch_size=BATCH, refresh_cache=False)
            return run, time.perf_counter() - t

        for r in range(ROUNDS):
            inc, took = timed_pass(hot_recompute_incremental)
            inc_times.append(took)
            full, took = timed_pass(hot_recompute)
            full_times.append(took)
            inc_ratios.append(inc_times[-1] / full_times[-1])
            print(f"round {r + 1}: incremental {inc_times[-1]:.2f} s "
                  f"(scanned {inc.scanned:,}, updated {inc.updated:,}), full {full_times[-1]:.2f} s "
                  f"(scanned {full.scanned:,}, updated {full.updated:,}), "
                  f"ratio {100 * inc_times[-1] / full_times[-1]:.2f} %", flush=True)
        results["incremental"] = min(inc_times)
        results["full_dirty"] = min(full_times)

        # The incremental pass's write floor: the same number of scattered rows given a new
        # hot by the engine's own CASE UPDATE, on as many connections as the pass writes
        # with, and nothing else (no reads, scoring, checkpoints or marks).
        import threading

        from django.conf import settings as django_settings
        from django.db import connections

        from hotrank.engine import archive_hot_write

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, hot FROM academy_archive WHERE oid IN (" + ", ".join(map(str, dirty)) + ")"
            )
            dirty_hots = sorted(cursor.fetchall())
        writers = max(1, django_settings.RECOMPUTE_WRITERS) if connection.vendor == "mysql" else 1
        batches = [dirty_hots[i : i + BATCH] for i in range(0, len(dirty_hots), BATCH)]

        def write_floor(bump):
            def write(share):
                try:
                    for batch in share:
                        with transaction.atomic():
                            archive_hot_write(hots={archive_id: hot + bump for archive_id, hot in batch})
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=write, args=(batches[k::writers],)) for k in range(writers)]
            purge_wait()
            t = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - t

        write_floor_times = [write_floor(bump) for bump in range(1, ROUNDS + 1)]
        write_floor(0)  # puts the true scores back
        results["write_floor"] = min(write_floor_times)
        print(f"write floor: {len(dirty_hots):,} scattered rows rewritten by CASE UPDATEs on {writers} connection(s), "
              f"best {results['write_floor']:.2f} s ({', '.join(f'{t:.2f}' for t in write_floor_times)})", flush=True)

        # The cache refresh after a pass that changed scores, timed apart: a new generation,
        # then preheating the top pages, whose totals are computed cold.
        from hotrank.services import ranking_cache_refresh

        t = time.perf_counter()
        ranking_cache_refresh(business=1)
        print(f"cache refresh after a pass (generation bump + preheat, cold totals): {time.perf_counter() - t:.2f} s")

    if "naive" in PARTS:
        # Naive per-row ORM loop on a sample, extrapolated to the whole pool.
        sample = list(AcademyArchive.objects.filter(business=1, state=0).order_by("id")[:NAIVE_SAMPLE])
        t = time.perf_counter()
        for archive in sample:
            stat = VideoStat.objects.filter(vid=archive.oid).first()
            counts = (
                dict(view=stat.view, like=stat.like_count, coin=stat.coin, fav=stat.fav, share=stat.share,
                     reply=stat.reply, danmaku=stat.danmaku) if stat else {}
            )
            archive.hot = hot_score(**counts, pub_time=archive.pub_time, now=NOW + 1)
            archive.save(update_fields=["hot", "mtime"])
        per_row = (time.perf_counter() - t) / len(sample)
        results["naive"] = per_row * n
        print(f"naive ORM loop: {1 / per_row:,.0f} rows/s on {len(sample):,} rows, "
              f"extrapolated {results['naive']:.1f} s")

    print()
    if "engine" in results:
        print(f"N={n}  engine {n / results['engine']:,.0f} rows/s")
    if "floor" in results:
        print(f"engine/floor time ratio: {ratio(results['engine'], results['floor'])} best-of-{ROUNDS}, "
              f"median of rounds {ratio(statistics.median(engine_times), statistics.median(floor_times))} "
              "(target <= 1.5x)")
    if "incremental" in results:
        print(f"incremental/full time ratio with {DIRTY:.0%} dirty: "
              f"{100 * results['incremental'] / results['full_dirty']:.2f} % best-of-{ROUNDS}, "
              f"median of rounds {100 * statistics.median(inc_ratios):.2f} % (target <= 2 %)")
        print(f"  write floor alone: {100 * results['write_floor'] / results['full_dirty']:.2f} % of the full pass; "
              f"incremental/write floor {ratio(results['incremental'], results['write_floor'])}")
    if "naive" in results and "engine" in results:
        print(f"naive/engine time ratio: {ratio(results['naive'], results['engine'])}  "
              "(engine is this many times faster)")

if __name__ == "__main__":
    main()

"""Cached ranking API against the ceiling of Django on this machine, measured in one run.

    make bench-api [N=2000] [ROUNDS=2] [DURATION=10s] [CONNECTIONS=32]

Serves the project with gunicorn (2 sync workers, production settings: DEBUG off,
Redis when one answers on 127.0.0.1:6379, the anonymous throttle off) on the bench
database and drives it with wrk:
  - api:     GET /api/creative/v1/hotrank/list (limit 50), warm in the ranking cache;
  - ceiling: GET /bench/ceiling, a bare Django view returning the same bytes from
             process memory, behind the same middleware (bench/ceiling_urls.py).
Rounds are interleaved (ceiling, api, ceiling, api, ...) so a noisy neighbour hits
both alike; the best of each figure over the rounds is reported.
Target: api >= 60% of the ceiling's throughput, api p99 <= 2x the ceiling's.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._setup import OUT, ROOT, bench_database_url, django_setup, ratio  # noqa: E402

N = int(os.environ.get("N", "2000"))  # archives the bench database holds at least
ROUNDS = int(os.environ.get("ROUNDS", "2"))
DURATION = os.environ.get("DURATION", "10s")
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
THREADS = 2
WORKERS = 2
REDIS_DB = 3  # a database of its own on the local Redis, away from `make run`'s and the tests'
API_PATH = "/api/creative/v1/hotrank/list"
CEILING_PATH = "/bench/ceiling"
PAYLOAD_FILE = OUT / "api_payload.json"
NOW = 1_780_000_000


def redis_url() -> str | None:
    """The bench Redis database when a server answers on the default port, else None (LocMem)."""
    if os.environ.get("BENCH_REDIS", "1") == "0":
        return None
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:6379/{REDIS_DB}"
    except OSError:
        pass
    return None


def server_env(redis: str | None) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-not-secret",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="mybili.settings",
        DJANGO_ROOT_URLCONF="bench.ceiling_urls",
        DATABASE_URL=bench_database_url(),
        API_ANON_RATE="off",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    return env


def prepare(redis: str | None) -> tuple[int, str]:
    """Seed and score the bench database if needed; start a fresh ranking generation and write the payload.

    Runs in this process with the server's cache settings, so the page it computes is
    the page the server finds in Redis. Returns (eligible archives, database vendor).
    """
    os.environ.pop("REDIS_URL", None)
    if redis:
        os.environ["REDIS_URL"] = redis
    os.environ["API_ANON_RATE"] = "off"
    django_setup()
    from django.db import connection

    from hotrank.models import AcademyArchive
    from hotrank.selectors import ranking_page_json
    from hotrank.services import RecomputeAlreadyRunning, hot_recompute, ranking_generation_bump
    from mybili.api.envelope import SUCCESS_PREFIX
    from videos.demo import demo_data_seed

    have = AcademyArchive.objects.count()
    if have < N:
        print(f"seeding {N - have:,} videos into {connection.settings_dict['NAME']} ...", flush=True)
        demo_data_seed(videos=N - have, seed=42, now=NOW)
    if have < N or not AcademyArchive.objects.filter(business=1, state=0, hot__gt=0).exists():
        try:
            run = hot_recompute(now=NOW)
            print(f"recomputed: {run.updated:,} of {run.scanned:,} archives changed", flush=True)
        except RecomputeAlreadyRunning:
            print("a recompute is already running on the bench database; using the scores as they are")
    # A fresh generation: the bench database may have changed since the pages in Redis were cached.
    ranking_generation_bump()
    page = ranking_page_json(business=1, limit=50)
    OUT.mkdir(parents=True, exist_ok=True)
    PAYLOAD_FILE.write_bytes(SUCCESS_PREFIX + page + b"}")
    n = AcademyArchive.objects.filter(business=1, state=0).count()
    return n, connection.vendor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "gunicorn", "mybili.wsgi:application",
        "--workers", str(WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT), "--error-logfile", str(log), "--log-level", "warning",
        "--no-control-socket",  # else every server shares one socket under the home directory
    ]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    sys.exit(f"gunicorn did not answer within 30 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the arbiter stops its workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the processes whose parent is the arbiter."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (Linux /proc), in seconds."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: str = DURATION, workers: list[int] | None = None) -> dict:
    cpu_before = cpu_seconds(workers or [])
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad:
        sys.exit(f"{url}: {bad.group(1)} of {result['requests']} responses were not 2xx\n{out}")
    result["errors"] = errors.group(1) if errors else ""
    # The server's own CPU per request: other load on the machine moves it less than req/s.
    result["cpu_us"] = (cpu_seconds(workers or []) - cpu_before) / result["requests"] * 1e6 if workers else None
    return result


def fmt(r: dict) -> str:
    line = f"{r['rps']:8,.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms"
    if r.get("cpu_us") is not None:
        line += f"  server CPU {r['cpu_us']:5.0f} us/req"
    return line + (f"  (socket errors: {r['errors']})" if r["errors"] else "")


def main():
    if not shutil.which("wrk"):
        sys.exit("bench-api needs wrk: apt-get install wrk")
    redis = redis_url()
    n, vendor = prepare(redis)
    env = server_env(redis)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = OUT / "gunicorn.log"
    print(f"backend {vendor}, {n:,} eligible archives, cache {'redis db ' + str(REDIS_DB) if redis else 'LocMem'}; "
          f"gunicorn {WORKERS} sync workers on {base}; wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}, "
          f"{os.cpu_count()} CPUs", flush=True)
    server = start_server(env, port, log)
    try:
        # Same bytes on both routes, else the comparison means nothing.
        status, api_body = get(base + API_PATH)
        if status != 200:
            sys.exit(f"{API_PATH} answered {status}: {api_body[:300]!r}")
        if api_body != PAYLOAD_FILE.read_bytes() or get(base + CEILING_PATH)[1] != api_body:
            sys.exit("the API and the ceiling do not serve the same bytes")
        print(f"payload {len(api_body):,} bytes, identical on both routes", flush=True)
        for path in (CEILING_PATH, API_PATH):  # warm every worker: imports, connections, in-process pages
            wrk(base + path, "2s")

        workers = worker_pids(server.pid)
        if len(workers) != WORKERS:
            sys.exit(f"expected {WORKERS} gunicorn workers, found {len(workers)}")
        results = {"ceiling": [], "api": []}
        for r in range(ROUNDS):
            for name, path in (("ceiling", CEILING_PATH), ("api", API_PATH)):
                results[name].append(wrk(base + path, workers=workers))
                print(f"round {r + 1} {name:8s}{fmt(results[name][-1])}", flush=True)
            c, a = results["ceiling"][-1], results["api"][-1]
            print(f"round {r + 1} api/ceiling: throughput {a['rps'] / c['rps']:.0%}, p99 {ratio(a['p99'], c['p99'])}, "
                  f"server CPU per request {ratio(a['cpu_us'], c['cpu_us'])}", flush=True)
    finally:
        stop_server(server)

    best = {
        name: {"rps": max(x["rps"] for x in rs), "p50": min(x["p50"] for x in rs), "p99": min(x["p99"] for x in rs),
               "cpu_us": min(x["cpu_us"] for x in rs), "errors": ""}
        for name, rs in results.items()
    }  # fmt: skip
    api, ceiling = best["api"], best["ceiling"]
    print()
    print(f"best of {ROUNDS} rounds (each figure on its own):")
    print(f"  ceiling (bare view, bytes in memory) {fmt(ceiling)}")
    print(f"  api     (cached hotrank list)        {fmt(api)}")
    throughput = api["rps"] / ceiling["rps"]
    p99 = api["p99"] / ceiling["p99"]
    print(f"throughput api/ceiling {throughput:.0%}  (target >= 60%): {'met' if throughput >= 0.6 else 'NOT met'}")
    print(f"p99 api/ceiling        {ratio(api['p99'], ceiling['p99'])}  (target <= 2x): "
          f"{'met' if p99 <= 2 else 'NOT met'}")
    print(f"server CPU per request api/ceiling {ratio(api['cpu_us'], ceiling['cpu_us'])}  "
          f"(throughput ratio if both were bound by the server's CPU: {ceiling['cpu_us'] / api['cpu_us']:.0%})")


if __name__ == "__main__":
    main()

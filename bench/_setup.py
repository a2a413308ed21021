"""Shared set-up of the benchmarks: Django on a dedicated bench database.

The bench database is derived from DATABASE_URL (database `mybili_bench` on
MySQL, `bench/out/bench.sqlite3` on SQLite), so a benchmark never touches the
data of `make run` or of the tests.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        base, _, _name = url.rpartition("/")
        return f"{base}/mybili_bench"
    OUT.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{OUT / 'bench.sqlite3'}"


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mybili.settings")
    os.environ["DATABASE_URL"] = bench_database_url()
    if os.environ["DATABASE_URL"].startswith("mysql"):
        import MySQLdb

        url = os.environ["DATABASE_URL"]
        # create the database if missing: connect to the server without a database
        from environ import Env

        cfg = Env.db_url_config(url)
        conn = MySQLdb.connect(host=cfg["HOST"] or "127.0.0.1", port=int(cfg["PORT"] or 3306), user=cfg["USER"],
                               passwd=cfg["PASSWORD"] or "")
        conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{cfg['NAME']}` CHARACTER SET utf8mb4")
        conn.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"

"""API_ANON_RATE is read when the settings load, so each value is checked in a fresh process."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
# a bad parameter is answered before any query, so no database is needed; the throttle runs first
responses = [client.get("/api/creative/v1/hotrank/list?limit=0") for _ in range(int(sys.argv[1]))]
print(json.dumps([[r.status_code, json.loads(r.content)["code"]] for r in responses]))
"""


def probe(rate: str | None, requests: int) -> list[tuple[int, int]]:
    env = {k: v for k, v in os.environ.items() if k not in {"API_ANON_RATE", "REDIS_URL"}}  # LocMem: a fresh cache
    env |= {"DJANGO_SETTINGS_MODULE": "mybili.settings", "DJANGO_SECRET_KEY": "test-only", "PYTHONPATH": str(ROOT)}
    if rate is not None:
        env["API_ANON_RATE"] = rate
    result = subprocess.run([sys.executable, "-c", PROBE, str(requests)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [tuple(pair) for pair in json.loads(result.stdout.strip().splitlines()[-1])]


@pytest.mark.parametrize(("rate", "allowed"), [("5/min", 5), ("3/hour", 3)])
def test_rate_from_the_environment(rate, allowed):
    assert probe(rate, 8) == [(400, 1002)] * allowed + [(429, 1005)] * (8 - allowed)


def test_default_rate_is_1200_per_minute():
    assert Counter(probe(None, 1210)) == {(400, 1002): 1200, (429, 1005): 10}


def test_off_disables_the_throttle():
    assert Counter(probe("off", 1210)) == {(400, 1002): 1210}

"""API_ANON_RATE is read when the settings load, so each value is checked in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from hotrank.api import HotRankListView
setup_test_environment()
client = Client()
# a bad parameter is answered before any query, so no database is needed; the throttle runs first
responses = [client.get("/api/creative/v1/hotrank/list?limit=0") for _ in range(int(sys.argv[1]))]
throttles = HotRankListView().get_throttles()
print(json.dumps({
    "responses": [[r.status_code, json.loads(r.content)["code"]] for r in responses],
    "throttles": [[type(t).__name__, t.num_requests, t.duration] for t in throttles],
}))
"""


def probe(rate: str | None, requests: int = 8) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"API_ANON_RATE", "REDIS_URL"}}  # LocMem: a fresh cache
    env |= {"DJANGO_SETTINGS_MODULE": "mybili.settings", "DJANGO_SECRET_KEY": "test-only", "PYTHONPATH": str(ROOT)}
    if rate is not None:
        env["API_ANON_RATE"] = rate
    result = subprocess.run([sys.executable, "-c", PROBE, str(requests)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return {"responses": [tuple(r) for r in out["responses"]], "throttles": [tuple(t) for t in out["throttles"]]}


@pytest.mark.parametrize(("rate", "allowed", "duration"), [("5/min", 5, 60), ("3/hour", 3, 3600)])
def test_rate_from_the_environment(rate, allowed, duration):
    result = probe(rate)
    assert result["throttles"] == [("AnonThrottle", allowed, duration)]
    assert result["responses"] == [(400, 1002)] * allowed + [(429, 1005)] * (8 - allowed)


def test_default_rate_is_1200_per_minute():
    result = probe(None)
    assert result["throttles"] == [("AnonThrottle", 1200, 60)]
    assert result["responses"] == [(400, 1002)] * 8


def test_off_disables_the_throttle():
    result = probe("off")
    assert result["throttles"] == []
    assert result["responses"] == [(400, 1002)] * 8

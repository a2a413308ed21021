"""Operational endpoints: liveness, readiness and metrics."""

import pytest

pytestmark = pytest.mark.django_db

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_stays_ready_when_only_the_cache_is_down(client, redis_down, caplog):
    """The API answers from the database without the cache, so a cache outage reports but does not fail."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}
    assert "readyz: cache unavailable" in caplog.text


def test_metrics_are_exported(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_recompute_freshness_is_exported(client, make_video):
    from hotrank.models import RecomputeRun
    from hotrank.services import hot_recompute, hot_recompute_incremental
    from tests.factories import NOW

    assert b"mybili_recompute_running{business=\"1\"} 0.0" in client.get("/metrics").content
    make_video(stats=dict(view=400))
    full = hot_recompute(now=NOW)
    incremental = hot_recompute_incremental(now=NOW + 60)
    full.refresh_from_db()
    incremental.refresh_from_db()
    assert RecomputeRun.objects.count() == 2

    body = client.get("/metrics").content.decode()

    def sample(kind):
        prefix = f'mybili_recompute_last_success_timestamp_seconds{{business="1",kind="{kind}"}} '
        return float(next(line for line in body.splitlines() if line.startswith(prefix))[len(prefix):])

    assert sample("full") == pytest.approx(full.finished_at.timestamp())
    assert sample("incremental") == pytest.approx(incremental.finished_at.timestamp())
    assert 'mybili_recompute_last_success_timestamp_seconds{business="2"' not in body  # never ran


def test_a_live_recompute_is_exported_as_running(client, db):
    from hotrank.services import recompute_run_finish, recompute_run_start
    from tests.factories import NOW

    run = recompute_run_start(business=1, now=NOW)
    body = client.get("/metrics").content.decode()
    assert 'mybili_recompute_running{business="1"} 1.0' in body
    assert 'mybili_recompute_running{business="2"} 0.0' in body
    recompute_run_finish(run=run)
    assert 'mybili_recompute_running{business="1"} 0.0' in client.get("/metrics").content.decode()


def test_recompute_gauges_are_served_in_multiprocess_mode_too(client, db, monkeypatch, tmp_path):
    # gunicorn in the image sets PROMETHEUS_MULTIPROC_DIR: django-prometheus then exports
    # a fresh registry, which a collector on the default registry would miss.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert 'mybili_recompute_running{business="1"} 0.0' in response.content.decode()

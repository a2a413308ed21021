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

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from mybili.api.throttling import AnonThrottle


def clear_cache():
    """Empty the configured cache: only this project's keys on Redis, all of LocMem."""
    if hasattr(cache, "delete_pattern"):  # django-redis: honours KEY_PREFIX, leaves other keys alone
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (pages, generation, throttle history)."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def no_throttle(monkeypatch):
    """The anonymous throttle off, as API_ANON_RATE=off does (DRF reads rates at import)."""
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": None})

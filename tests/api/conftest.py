import pytest
from rest_framework.test import APIClient

from mybili.api.throttling import AnonThrottle
from tests.conftest import clear_cache  # noqa: F401 - re-exported for the API tests


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def no_throttle(monkeypatch):
    """The anonymous throttle off, as API_ANON_RATE=off does (DRF reads rates at import)."""
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": None})

"""Checks a serving process runs before it accepts a request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "DJANGO_SECRET_KEY is not set. Set it in the environment, or set DJANGO_DEBUG=1 for local development."
)


def require_secret_key() -> None:
    """Refuse to serve with debug off and no secret key (sessions, CSRF and tokens depend on it)."""
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(MISSING_SECRET_KEY)

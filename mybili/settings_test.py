"""Test settings: the same settings, with the two values tests must not need to export."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")

from mybili.settings import *  # noqa: E402,F403

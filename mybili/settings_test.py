"""Test settings: the same settings, with the two values tests must not need to export."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# Query-count assertions must not depend on the suite's pace; tests of the cross-process
# refresh set the TTL to 0 themselves.
os.environ.setdefault("RANKING_GENERATION_TTL", "600")

from mybili.settings import *  # noqa: E402,F403

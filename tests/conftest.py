import random

import pytest
from django.db import connection

from tests.factories import NOW, AcademyArchiveFactory, VideoInfoFactory, VideoStatFactory
from videos.models import STAT_FIELDS


def pytest_collection_modifyitems(config, items):
    # Backend-specific assertions (query plans, server behaviour) are deselected, not
    # skipped, on the other backend; .ci/run runs the suite on both.
    from django.conf import settings

    vendor = "mysql" if "mysql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    other = "sqlite" if vendor == "mysql" else "mysql"
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker(other) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def clear_cache():
    """Empty the configured cache and this process's ranking memory.

    Only this project's keys on Redis (KEY_PREFIX), all of LocMem; and the
    selectors' copy of the generation and in-process pages, which would otherwise
    carry one test's rankings into the next (each test's database starts over).
    """
    from django.core.cache import cache

    from hotrank import selectors

    if hasattr(cache, "delete_pattern"):  # django-redis
        cache.delete_pattern("*")
    else:
        cache.clear()
    selectors._memo.update(at=float("-inf"), value=None)
    selectors._local_pages.clear()
    selectors._local_gen[0] = None


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (pages, generation, throttle history)."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def make_video():
    """A video with its stat and (unless in_pool=False) its archive."""

    def make(*, vid=None, stats=None, pub_time=NOW - 7 * 86400, region_id=1, in_pool=True, archive_state=0,
             video_state=0, with_stat=True, **info):
        video = VideoInfoFactory(pub_time=pub_time, region_id=region_id, state=video_state,
                                 **({"vid": vid} if vid is not None else {}), **info)
        if with_stat:
            # given stats are complete: counts not named are 0, not the factory's defaults
            counts = dict.fromkeys(STAT_FIELDS, 0) | stats if stats is not None else {}
            VideoStatFactory(vid=video.vid, **counts)
        if in_pool:
            AcademyArchiveFactory(oid=video.vid, pub_time=pub_time, region_id=region_id, state=archive_state)
        return video

    return make


@pytest.fixture
def mixed_pool(make_video):
    """A few hundred archives: random stats, boosted and not, removed ones, missing stats."""
    rng = random.Random(7)
    videos = []
    for i in range(300):
        stats = {k: rng.randrange(0, 10**rng.randrange(1, 8)) for k in
                 STAT_FIELDS}
        videos.append(make_video(
            stats=stats,
            pub_time=NOW - rng.choice([0, 3600, 86400, 86401, 3 * 86400, -5]),
            region_id=1 + i % 5,
            archive_state=1 if i % 17 == 0 else 0,
            with_stat=i % 23 != 0,
        ))
    return videos


@pytest.fixture
def on_mysql():
    return connection.vendor == "mysql"


# --- admin -------------------------------------------------------------------------------------


@pytest.fixture
def clean_cache():
    """An empty cache (ranking generations and pages, region names): tests that read through the cache."""
    from django.core.cache import cache

    def clear():
        if hasattr(cache, "delete_pattern"):  # django-redis: only this project's keys
            cache.delete_pattern("*")
        else:
            cache.clear()

    clear()
    yield
    clear()


@pytest.fixture
def operator_client(django_user_model):
    """A staff member of the "operators" group (created by a data migration)."""
    from django.contrib.auth.models import Group
    from django.test import Client

    user = django_user_model.objects.create_user("operator", password="not-used", is_staff=True)
    user.groups.add(Group.objects.get(name="operators"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(django_user_model):
    """Staff outside "operators" who may only look at videos, archives and runs."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    user = django_user_model.objects.create_user("viewer", password="not-used", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["videos", "hotrank"], codename__startswith="view_"
    ))  # fmt: skip
    client = Client()
    client.force_login(user)
    return client


REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "KEY_PREFIX": "mybili",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.fixture
def redis_down(settings):
    """The cache is a real django-redis client whose server is unreachable."""
    from django.core.cache import cache, caches

    settings.CACHES = REDIS_DOWN  # Django's setting_changed handler rebuilds django.core.cache.caches
    assert type(caches["default"]).__name__ == "RedisCache"
    assert type(cache._connections["default"]).__name__ == "RedisCache"  # what `cache` (used by the code) resolves to
    yield

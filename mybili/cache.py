"""Cache access that never fails a request, with stampede protection.

The cache is an accelerator: when Redis is down every call here logs, counts
the error and behaves as a miss, so callers fall back to the database.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from prometheus_client import Counter

logger = logging.getLogger("mybili.cache")

CACHE_ERRORS = Counter("mybili_cache_errors_total", "Cache operations that failed and fell back", ["op"])
CACHE_LOOKUPS = Counter("mybili_cache_lookups_total", "Cache lookups by outcome", ["result"])

MISSING = object()
LOCK_SECONDS = 10  # a computing request that dies frees the key after this
WAIT_SECONDS = 3.0  # how long a waiter waits for the computing request before computing itself
POLL_SECONDS = 0.01

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def cache_failed(op: str, exc: Exception):
    CACHE_ERRORS.labels(op=op).inc()
    logger.warning("cache %s failed, falling back to the database: %s", op, exc)


def cache_get(key: str, default=None):
    try:
        return cache.get(key, default)
    except Exception as exc:  # any backend failure degrades to a miss
        cache_failed("get", exc)
        return default


def cache_set(key: str, value, timeout: int | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        cache_failed("set", exc)


def cache_delete_many(keys: list[str]) -> None:
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception as exc:
        cache_failed("delete", exc)


def cache_add(key: str, value, timeout: int | None) -> bool | None:
    """Set the key only if it is absent: True if set, False if present, None when the cache is unavailable."""
    try:
        return bool(cache.add(key, value, timeout))
    except Exception as exc:
        cache_failed("add", exc)
        return None


def cache_incr(key: str, *, initial: int = 1) -> int | None:
    """Atomically add 1 (creating a missing key at `initial`); None when the cache is unavailable."""
    try:
        if cache.add(key, initial, timeout=None):
            return initial
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache_set(key, initial, None)
        return initial
    except Exception as exc:
        cache_failed("incr", exc)
        return None


def _local_lock(key: str) -> threading.Lock:
    with _local_locks_guard:
        if len(_local_locks) > 10_000:
            _local_locks.clear()
        return _local_locks.setdefault(key, threading.Lock())


def cache_get_or_compute(key: str, compute: Callable[[], object], timeout: int | None):
    """Return the cached value, or compute it once however many requests miss together.

    Within a process a lock per key serialises the misses; across processes a
    short `add` lock in the cache elects one computing request while the others
    poll for its result (and compute themselves only if it never arrives).
    """
    value = cache_get(key, MISSING)
    if value is not MISSING:
        CACHE_LOOKUPS.labels(result="hit").inc()
        return value
    with _local_lock(key):
        value = cache_get(key, MISSING)
        if value is not MISSING:
            CACHE_LOOKUPS.labels(result="hit").inc()
            return value
        CACHE_LOOKUPS.labels(result="miss").inc()
        lock_key = f"lock:{key}"
        try:
            elected = cache.add(lock_key, 1, LOCK_SECONDS)
        except Exception as exc:
            cache_failed("add", exc)
            return compute()  # no cache at all: just answer from the database
        if not elected:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                value = cache_get(key, MISSING)
                if value is not MISSING:
                    return value
        try:
            value = compute()
            cache_set(key, value, timeout)
            return value
        finally:
            if elected:
                try:
                    cache.delete(lock_key)
                except Exception as exc:
                    cache_failed("delete", exc)

"""Reads of the rankings, cached per ranking generation.

Keys: `hotrank:list:{gen}:{business}:{region}:{offset}:{limit}` hold a page's
`data` as rendered JSON bytes. A recompute that changed anything bumps `gen`, so
readers move to new keys at once and never see a page mixing two generations.
Pages also stay in a small in-process map for the current generation: a cached
request costs one cache round trip (the generation) instead of two.
"""

import threading
import time

import orjson
from django.db import connection

from hotrank.models import GLOBAL_RANK_INDEX, REGION_RANK_INDEX, ArchiveState
from mybili.api.params import encode_cursor
from mybili.cache import cache_add, cache_get, cache_get_or_compute, cache_incr

GENERATION_KEY = "hotrank:gen"
PAGE_TTL = 24 * 3600  # generations move on; old pages only need to expire eventually
ALL_REGIONS = "all"


def _fresh_generation() -> int:
    """A generation number no earlier generation used: the clock in microseconds.

    Processes keep pages of the current generation in memory (`_local_pages`). If
    the counter restarted at 1 after a flush or an eviction, a process could serve
    its in-memory page of an old generation that happened to have the same number.
    Starting from the clock, a restarted counter is always above every number
    handed out before (bumps are far rarer than one per microsecond).
    """
    return time.time_ns() // 1000


def ranking_generation() -> int | None:
    """The current generation, or None when the cache is unavailable (then nothing is cached)."""
    gen = cache_get(GENERATION_KEY)
    if gen is None:  # first use, flushed or evicted: start a generation; a concurrent starter may win
        if cache_add(GENERATION_KEY, _fresh_generation(), None) is None:
            return None
        gen = cache_get(GENERATION_KEY)
    return gen


def ranking_generation_bump() -> int | None:
    return cache_incr(GENERATION_KEY, initial=_fresh_generation())


def ranking_page_key(*, gen: int, business: int, region_id: int | None, offset: int, limit: int) -> str:
    region = ALL_REGIONS if region_id is None else region_id
    return f"hotrank:list:{gen}:{business}:{region}:{offset}:{limit}"


def _hint(index: str) -> str:
    if connection.vendor == "mysql":
        return f"FORCE INDEX ({index})"
    if connection.vendor == "sqlite":
        return f"INDEXED BY {index}"
    return ""


def ranking_sql(*, region: bool, keyset: bool) -> str:
    """The page query: the ranking index walked backwards, no filesort.

    The keyset is spelled `hot < x OR (hot = x AND id < y)`: MariaDB does not use
    the index for the row-constructor form `(hot, id) < (x, y)`.
    """
    straight = "STRAIGHT_JOIN " if connection.vendor == "mysql" else ""
    index = REGION_RANK_INDEX if region else GLOBAL_RANK_INDEX
    where = ["a.business = %s", "a.state = %s"]
    if region:
        where.insert(1, "a.region_id = %s")
    if keyset:
        where.append("(a.hot < %s OR (a.hot = %s AND a.id < %s))")
    return (
        f"SELECT {straight}a.id, a.oid, a.hot, a.region_id, v.title, v.cover, v.author_name, v.pub_time, "
        "s.view, s.like_count "
        f"FROM academy_archive a {_hint(index)} "
        "JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
        "LEFT JOIN video_stat s ON s.vid = a.oid "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY a.hot DESC, a.id DESC LIMIT %s OFFSET %s"
    )


def _count_sql(*, region: bool) -> str:
    region_clause = "AND a.region_id = %s " if region else ""
    return (
        "SELECT COUNT(*) FROM academy_archive a "
        "JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
        f"WHERE a.business = %s {region_clause}AND a.state = %s"
    )


def _ranking_rows(*, business, region_id, offset, limit, after) -> list[tuple]:
    params: list = [business] + ([region_id] if region_id is not None else []) + [ArchiveState.NORMAL.value]
    if after is not None:
        params += [after["hot"], after["hot"], after["id"]]
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(ranking_sql(region=region_id is not None, keyset=after is not None), params)
        return cursor.fetchall()


def ranking_total(*, business: int, region_id: int | None) -> int:
    params = [business] + ([region_id] if region_id is not None else []) + [ArchiveState.NORMAL.value]
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(region=region_id is not None), params)
        return cursor.fetchone()[0]


def _page_data(*, business, region_id, offset, limit, after, total) -> dict:
    rows = _ranking_rows(business=business, region_id=region_id, offset=offset, limit=limit, after=after)
    first_rank = (after["rank"] if after else offset) + 1
    items = [
        {
            "oid": oid, "hot": hot, "rank": first_rank + i, "title": title, "cover": cover, "author": author,
            # a missing stat row reads as zeros (COALESCE would turn MySQL's unsigned BIGINT into DECIMAL)
            "view": view or 0, "like": like or 0, "region_id": region, "pub_time": pub_time,
        }
        for i, (_id, oid, hot, region, title, cover, author, pub_time, view, like) in enumerate(rows)
    ]  # fmt: skip
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor(hot=last[2], id=last[0], rank=first_rank + len(rows) - 1)
    return {"list": items, "total": total, "next_cursor": next_cursor}


_local_pages: dict[str, bytes] = {}
_local_gen: list = [None]
_local_guard = threading.Lock()
_LOCAL_MAX = 256


def _local_get(key: str, gen: int) -> bytes | None:
    if _local_gen[0] != gen:
        return None
    return _local_pages.get(key)


def _local_put(key: str, gen: int, value: bytes) -> None:
    with _local_guard:
        if _local_gen[0] != gen:
            _local_pages.clear()
            _local_gen[0] = gen
        if len(_local_pages) >= _LOCAL_MAX:
            _local_pages.clear()
        _local_pages[key] = value


def ranking_page_json(
    *, business: int, region_id: int | None = None, offset: int = 0, limit: int = 50, after: dict | None = None
) -> bytes:
    """A ranking page's `data` as JSON bytes: {list, total, next_cursor}."""
    gen = ranking_generation()
    if gen is None:  # no cache: straight from the database
        total = ranking_total(business=business, region_id=region_id)
        data = _page_data(business=business, region_id=region_id, offset=offset, limit=limit, after=after, total=total)
        return orjson.dumps(data)

    region = ALL_REGIONS if region_id is None else region_id
    total = cache_get_or_compute(
        f"hotrank:total:{gen}:{business}:{region}",
        lambda: ranking_total(business=business, region_id=region_id),
        PAGE_TTL,
    )
    if after is not None:  # keyset pages are cheap (an index seek) and too many to cache
        data = _page_data(business=business, region_id=region_id, offset=0, limit=limit, after=after, total=total)
        return orjson.dumps(data)

    key = ranking_page_key(gen=gen, business=business, region_id=region_id, offset=offset, limit=limit)
    page = _local_get(key, gen)
    if page is None:
        page = cache_get_or_compute(
            key,
            lambda: orjson.dumps(
                _page_data(business=business, region_id=region_id, offset=offset, limit=limit, after=None, total=total)
            ),
            PAGE_TTL,
        )
        _local_put(key, gen, page)
    return page


def ranking_page(**kwargs) -> dict:
    """`ranking_page_json`, decoded (for the server-rendered page and the admin)."""
    return orjson.loads(ranking_page_json(**kwargs))


def archive_rank_get(*, oid: int, business: int) -> dict | None:
    """{oid, business, hot, rank} of an eligible archive, or None."""
    gen = ranking_generation()

    def load():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, a.hot FROM academy_archive a JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
                "WHERE a.oid = %s AND a.business = %s AND a.state = %s",
                [oid, business, ArchiveState.NORMAL.value],
            )
            row = cursor.fetchone()
            if row is None:
                return {}
            archive_id, hot = row
            cursor.execute(
                "SELECT COUNT(*) FROM academy_archive a JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
                "WHERE a.business = %s AND a.state = %s AND (a.hot > %s OR (a.hot = %s AND a.id > %s))",
                [business, ArchiveState.NORMAL.value, hot, hot, archive_id],
            )
            return {"oid": oid, "business": business, "hot": hot, "rank": cursor.fetchone()[0] + 1}

    if gen is None:
        return load() or None
    return cache_get_or_compute(f"hotrank:rank:{gen}:{business}:{oid}", load, PAGE_TTL) or None


def ranking_region_ids(*, business: int) -> list[int]:
    """Regions that have eligible archives (a loose scan of the region ranking index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT region_id FROM academy_archive {_hint(REGION_RANK_INDEX)} "
            "WHERE business = %s AND state = %s ORDER BY region_id",
            [business, ArchiveState.NORMAL.value],
        )
        return [row[0] for row in cursor.fetchall()]

"""Reads of the rankings, cached per ranking generation.

Keys: `hotrank:list:{gen}:{business}:{region}:{offset}:{limit}` hold a page's
`data` as rendered JSON bytes, where `gen` is "{scores}.{eligibility}" of the
RankingGeneration row. A recompute that changed scores bumps `scores`, so readers
move to new keys at once and never see a page mixing two generations; totals are
keyed by `eligibility` alone (`hotrank:total:{eligibility}:…`), since only a change
of the listed set changes them, and counting a million joined rows is the dearest
read here.

A process reads the generation at most once per RANKING_GENERATION_TTL seconds and
keeps the current generation's pages in memory, so a warm ranking request costs no
database query and no cache round trip.
"""

import threading
import time

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Subquery

from hotrank.models import (
    GLOBAL_RANK_INDEX,
    REGION_RANK_INDEX,
    AcademyArchive,
    ArchiveState,
    Business,
    DirtyArchive,
    RankingGeneration,
    RecomputeRun,
    RunMode,
    RunStatus,
)
from mybili.api.params import encode_cursor
from mybili.cache import cache_get_or_compute
from mybili.db import index_hint
from videos.models import Region, VideoInfo
from videos.selectors import region_names

PAGE_TTL = 24 * 3600  # generations move on; old pages only need to expire eventually
ALL_REGIONS = "all"

_memo_lock = threading.Lock()
_memo: dict = {"at": float("-inf"), "value": None}


def _generation_row() -> tuple[int, int]:
    row = RankingGeneration.objects.filter(pk=1).values_list("scores", "eligibility").first()
    return row or (0, 0)


def ranking_generations() -> tuple[int, int]:
    """(scores, eligibility), read from the database at most once per RANKING_GENERATION_TTL."""
    now = time.monotonic()
    if now - _memo["at"] < settings.RANKING_GENERATION_TTL:
        return _memo["value"]
    value = _generation_row()
    with _memo_lock:
        _memo.update(at=now, value=value)
    return value


def ranking_generation() -> str:
    """The current generation as it appears in cache keys."""
    scores, eligibility = ranking_generations()
    return f"{scores}.{eligibility}"


def ranking_generations_reload() -> str:
    """Read the generation row now (after this process bumped it) and remember it."""
    value = _generation_row()
    with _memo_lock:
        _memo.update(at=time.monotonic(), value=value)
    return f"{value[0]}.{value[1]}"


def ranking_page_key(*, gen: str, business: int, region_id: int | None, offset: int, limit: int) -> str:
    region = ALL_REGIONS if region_id is None else region_id
    return f"hotrank:list:{gen}:{business}:{region}:{offset}:{limit}"


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
        "s.view, s.like_count, r.name "
        f"FROM academy_archive a {index_hint(index)} "
        "JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
        "LEFT JOIN video_stat s ON s.vid = a.oid "
        "LEFT JOIN video_region r ON r.id = a.region_id "
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
            "view": view or 0, "like": like or 0, "region_id": region, "region_name": region_name,
            "pub_time": pub_time,
        }
        for i, (_id, oid, hot, region, title, cover, author, pub_time, view, like, region_name) in enumerate(rows)
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


def _local_get(key: str, gen: str) -> bytes | None:
    if _local_gen[0] != gen:
        return None
    return _local_pages.get(key)


def _local_put(key: str, gen: str, value: bytes) -> None:
    with _local_guard:
        if _local_gen[0] != gen:
            _local_pages.clear()
            _local_gen[0] = gen
        if len(_local_pages) >= _LOCAL_MAX:
            _local_pages.clear()
        _local_pages[key] = value


def ranking_total_key(*, eligibility: int, business: int, region_id: int | None) -> str:
    region = ALL_REGIONS if region_id is None else region_id
    return f"hotrank:total:{eligibility}:{business}:{region}"


def ranking_total_get(*, business: int, region_id: int | None, eligibility: int | None = None) -> int:
    """The eligible count, cached until the listed set may change (an eligibility bump)."""
    if eligibility is None:
        eligibility = ranking_generations()[1]
    return cache_get_or_compute(
        ranking_total_key(eligibility=eligibility, business=business, region_id=region_id),
        lambda: ranking_total(business=business, region_id=region_id),
        PAGE_TTL,
    )


def ranking_page_json(
    *, business: int, region_id: int | None = None, offset: int = 0, limit: int = 50, after: dict | None = None
) -> bytes:
    """A ranking page's `data` as JSON bytes: {list, total, next_cursor}.

    When the cache is down every step falls back to the database (and the page
    still lands in this process's memory).
    """
    scores, eligibility = ranking_generations()  # one read: the page and its total agree
    gen = f"{scores}.{eligibility}"
    if after is not None:  # keyset pages are cheap (an index seek) and too many to cache
        total = ranking_total_get(business=business, region_id=region_id, eligibility=eligibility)
        data = _page_data(business=business, region_id=region_id, offset=0, limit=limit, after=after, total=total)
        return orjson.dumps(data)

    key = ranking_page_key(gen=gen, business=business, region_id=region_id, offset=offset, limit=limit)
    page = _local_get(key, gen)
    if page is None:

        def compute():
            total = ranking_total_get(business=business, region_id=region_id, eligibility=eligibility)
            data = _page_data(
                business=business, region_id=region_id, offset=offset, limit=limit, after=None, total=total
            )
            return orjson.dumps(data)

        page = cache_get_or_compute(key, compute, PAGE_TTL)
        _local_put(key, gen, page)
    return page


def ranking_page(**kwargs) -> dict:
    """`ranking_page_json`, decoded (for the server-rendered page and the admin)."""
    return orjson.loads(ranking_page_json(**kwargs))


def archive_hot_get(*, oid: int, business: int) -> int:
    """The archive's hot if it is in the ranking, else 0 (one unique-key lookup, cached per generation)."""

    def load():
        row = (
            AcademyArchive.objects.filter(oid=oid, business=business, state=ArchiveState.NORMAL)
            .values_list("hot", flat=True)
            .first()
        )
        return row or 0

    return cache_get_or_compute(f"hotrank:hot:{ranking_generation()}:{business}:{oid}", load, PAGE_TTL)


def archive_rank_get(*, oid: int, business: int) -> dict | None:
    """{oid, business, hot, rank} of an eligible archive, or None."""
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

    return cache_get_or_compute(f"hotrank:rank:{ranking_generation()}:{business}:{oid}", load, PAGE_TTL) or None


def ranking_region_ids(*, business: int) -> list[int]:
    """Regions that have eligible archives (a loose scan of the region ranking index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT region_id FROM academy_archive {index_hint(REGION_RANK_INDEX)} "
            "WHERE business = %s AND state = %s ORDER BY region_id",
            [business, ArchiveState.NORMAL.value],
        )
        return [row[0] for row in cursor.fetchall()]


# --- Admin reads ------------------------------------------------------------------------


RANK_CAP = 10_000  # ranks are counted this deep at most; deeper ones read "beyond the cap"


def archive_ranks(*, keys, cap: int | None = None) -> dict[int, int]:
    """Ranks of eligible archives, for an admin page: {archive id: rank}; cap + 1 means "deeper than cap".

    `keys` are (archive id, business, hot) of archives that are eligible (normal,
    with a normal video). One query per business walks the ranking from the top,
    as the ranking pages do, down to the deepest key or `cap` (default RANK_CAP)
    rows, whichever comes first: a page costs at most `cap` index entries
    whatever its size and the pool's. (A correlated COUNT per row in the page
    query costs O(rank) per row, and MariaDB evaluates it for every row it sorts:
    minutes per page on a 1M-row pool.)
    """
    cap = RANK_CAP if cap is None else cap
    by_business: dict[int, list[tuple[int, int]]] = {}
    for archive_id, business, hot in keys:
        by_business.setdefault(business, []).append((hot, archive_id))
    straight = "STRAIGHT_JOIN " if connection.vendor == "mysql" else ""
    sql = (
        f"SELECT {straight}a.id FROM academy_archive a {index_hint(GLOBAL_RANK_INDEX)} "
        "JOIN video_info v ON v.vid = a.oid AND v.state = 0 "
        "WHERE a.business = %s AND a.state = %s AND (a.hot > %s OR (a.hot = %s AND a.id >= %s)) "
        "ORDER BY a.hot DESC, a.id DESC LIMIT %s"
    )
    ranks: dict[int, int] = {}
    for business, business_keys in sorted(by_business.items()):
        deepest_hot, deepest_id = min(business_keys)
        with connection.cursor() as cursor:
            cursor.execute(sql, [business, ArchiveState.NORMAL.value, deepest_hot, deepest_hot, deepest_id, cap])
            position = {row[0]: i + 1 for i, row in enumerate(cursor.fetchall())}
        ranks.update((archive_id, position.get(archive_id, cap + 1)) for _, archive_id in business_keys)
    return ranks


def archives_admin_rows(queryset):
    """The ranking pool's admin rows: each archive with its video (pk, title, cover, state) and region name.

    Subqueries of the page's one query; ranks come from archive_ranks (one more).
    """
    video = VideoInfo.objects.filter(vid=OuterRef("oid"))
    return queryset.annotate(
        video_pk=Subquery(video.values("id")[:1]),
        video_title=Subquery(video.values("title")[:1]),
        video_cover=Subquery(video.values("cover")[:1]),
        video_state=Subquery(video.values("state")[:1]),
        region_name=Subquery(Region.objects.filter(id=OuterRef("region_id")).values("name")[:1]),
    )


def archives_of_videos(*, vids, state: int | None = None) -> list:
    """The archives whose oid is one of `vids` (optionally in `state`)."""
    vids = list(vids)
    found = []
    for start in range(0, len(vids), 1000):
        rows = AcademyArchive.objects.filter(oid__in=vids[start : start + 1000])
        if state is not None:
            rows = rows.filter(state=state)
        found += rows.order_by("id")
    return found


def recompute_runs_recent(*, limit: int = 30) -> list[dict]:
    """The newest whole runs (not partitions), oldest first: for the runs chart."""
    rows = list(
        RecomputeRun.objects.filter(parent=None)
        .order_by("-id")
        .values("id", "mode", "status", "started_at", "finished_at", "scanned", "updated")[:limit]
    )
    for row in rows:
        done = row["finished_at"]
        row["seconds"] = (done - row["started_at"]).total_seconds() if done else None
    return rows[::-1]


def dashboard_summary(*, business: int = Business.VIDEO, top: int = 10) -> dict:
    """What the admin index shows: counts, the last run, and the top of the ranking now."""
    names = region_names()
    top_items = ranking_page(business=business, offset=0, limit=top)["list"]
    for item in top_items:
        item["region_name"] = names.get(item["region_id"], str(item["region_id"]))
    return {
        "videos": VideoInfo.objects.count(),
        "in_ranking": ranking_total_get(business=business, region_id=None),
        "dirty": DirtyArchive.objects.filter(business=business).count(),
        # the last whole pass (an operator's rescore of a few archives says nothing of the schedule's health)
        "last_run": RecomputeRun.objects.filter(parent=None).exclude(mode=RunMode.SELECTED).order_by("-id").first(),
        "top": top_items,
    }


def recompute_freshness_get() -> list[tuple[int, str, float | None, bool]]:
    """Per business and kind of pass (full, incremental): when one last succeeded, and whether a run is live.

    Rows are (business, kind, finished_at as unix seconds or None, running). Each
    lookup walks the (business, status, id) index back from the newest run, so a
    scrape costs a few indexed queries however many runs are kept.
    """
    kinds = {"full": [RunMode.FULL, RunMode.PARTITION], "incremental": [RunMode.INCREMENTAL]}
    running = set(RecomputeRun.objects.filter(active_business__isnull=False).values_list("active_business", flat=True))
    rows = []
    for business in Business.values:
        for kind, modes in kinds.items():
            finished = (
                RecomputeRun.objects.filter(business=business, status=RunStatus.SUCCEEDED, parent=None, mode__in=modes)
                .order_by("-id")
                .values_list("finished_at", flat=True)
                .first()
            )
            rows.append((business, kind, finished.timestamp() if finished else None, business in running))
    return rows

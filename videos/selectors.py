"""Reads of the video service, cached per video (`video:info:{vid}`, `video:stat:{vid}`)."""

from django.core.cache import cache
from django.db.models import OuterRef, Subquery

from mybili.cache import cache_failed, cache_get_or_compute, cache_set
from videos.models import Region, VideoInfo, VideoStat, VideoState

# Edits delete keys on commit; a reader that loaded the row just before the commit can still
# store it after the delete, so the TTL bounds how long such a stale row can live.
VIDEO_TTL = 300
ABSENT_TTL = 60  # unknown vids are remembered briefly, so a scan of bad ids stays off the database
_ABSENT = {}  # cached marker for "no such row"

INFO_COLUMNS = ("vid", "title", "cover", "author_id", "author_name", "region_id", "pub_time", "duration",
                "description", "state")
STAT_COLUMNS = ("vid", "view", "like_count", "coin", "fav", "share", "reply", "danmaku")


def video_info_key(vid: int) -> str:
    return f"video:info:{vid}"


def video_stat_key(vid: int) -> str:
    return f"video:stat:{vid}"


def _info_dict(row: dict) -> dict:
    info = {k: row[k] for k in INFO_COLUMNS if k != "description"}
    info["desc"] = row["description"]
    return info


def _stat_dict(row: dict) -> dict:
    stat = {k: row[k] for k in STAT_COLUMNS if k != "like_count"}
    stat["like"] = row["like_count"]
    return stat


def _cached_rows(*, model, columns, key_of, shape, vids: list[int]) -> dict[int, dict]:
    """Many rows by vid: one cache round trip, one query for the misses."""
    if not vids:
        return {}
    keys = {key_of(v): v for v in vids}
    try:
        found = cache.get_many(list(keys))
    except Exception as exc:
        cache_failed("get_many", exc)
        found = {}
    result = {keys[k]: v for k, v in found.items() if v != _ABSENT}
    missing = [v for k, v in keys.items() if k not in found]
    if missing:
        rows = {r["vid"]: shape(r) for r in model.objects.filter(vid__in=missing).values(*columns)}
        result.update(rows)
        try:
            cache.set_many({key_of(v): rows[v] for v in rows}, VIDEO_TTL)
            absent = [key_of(v) for v in missing if v not in rows]
            if absent:
                cache.set_many(dict.fromkeys(absent, _ABSENT), ABSENT_TTL)
        except Exception as exc:
            cache_failed("set_many", exc)
    return result


def _cached_row(*, model, columns, key, shape, vid: int) -> dict | None:
    """One row by vid through the cache; a missing row is remembered for ABSENT_TTL."""

    def load():
        row = model.objects.filter(vid=vid).values(*columns).first()
        return shape(row) if row else _ABSENT

    value = cache_get_or_compute(key, load, VIDEO_TTL)
    if value == _ABSENT:
        cache_set(key, _ABSENT, ABSENT_TTL)
        return None
    return value


def video_info_get(*, vid: int) -> dict | None:
    """The video's info (any state), or None."""
    return _cached_row(model=VideoInfo, columns=INFO_COLUMNS, key=video_info_key(vid), shape=_info_dict, vid=vid)


def video_stat_get(*, vid: int) -> dict | None:
    return _cached_row(model=VideoStat, columns=STAT_COLUMNS, key=video_stat_key(vid), shape=_stat_dict, vid=vid)


def video_infos_get(*, vids: list[int]) -> dict[int, dict]:
    """Infos of the normal videos among `vids`; unknown and deleted ones are left out."""
    infos = _cached_rows(model=VideoInfo, columns=INFO_COLUMNS, key_of=video_info_key, shape=_info_dict, vids=vids)
    return {vid: info for vid, info in infos.items() if info["state"] == VideoState.NORMAL}


def video_stats_get(*, vids: list[int]) -> dict[int, dict]:
    return _cached_rows(model=VideoStat, columns=STAT_COLUMNS, key_of=video_stat_key, shape=_stat_dict, vids=vids)


def video_list(*, last_vid: int, limit: int) -> dict:
    """Normal videos after `last_vid` in vid order (a keyset on the unique vid index)."""
    rows = list(
        VideoInfo.objects.filter(vid__gt=last_vid, state=VideoState.NORMAL)
        .order_by("vid")
        .values(*INFO_COLUMNS)[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {
        "list": [_info_dict(r) for r in rows],
        "next_last_vid": rows[-1]["vid"] if rows else last_vid,
        "has_more": has_more,
    }


REGION_NAMES_KEY = "video:regions"
REGION_NAMES_TTL = 60  # region renames show within a minute even if an eviction is lost


def region_names() -> dict[int, str]:
    """{region_id: name} of the known regions (cached briefly; a rename evicts it on commit)."""
    names = cache_get_or_compute(
        REGION_NAMES_KEY, lambda: dict(Region.objects.order_by("id").values_list("id", "name")), REGION_NAMES_TTL
    )
    return dict(names)


def videos_admin_rows(queryset):
    """The video admin's rows: each video with its region name and its archive (pk, state, hot).

    Subqueries of the page's one query (the archive by oid); ranks come from
    hotrank.selectors.archive_ranks (one more query per page).
    """
    from hotrank.models import AcademyArchive, Business

    archive = AcademyArchive.objects.filter(oid=OuterRef("vid"), business=Business.VIDEO)
    return queryset.annotate(
        region_name=Subquery(Region.objects.filter(id=OuterRef("region_id")).values("name")[:1]),
        archive_pk=Subquery(archive.values("id")[:1]),
        archive_state=Subquery(archive.values("state")[:1]),
        archive_hot=Subquery(archive.values("hot")[:1]),
    )


def video_stats_admin_rows(queryset):
    """The stat admin's rows, each with its video's pk and title (by vid)."""
    video = VideoInfo.objects.filter(vid=OuterRef("vid"))
    return queryset.annotate(video_pk=Subquery(video.values("id")[:1]), video_title=Subquery(video.values("title")[:1]))


def videos_titled(*, term: str):
    """vids of the videos whose title contains `term` (a subquery for the ranking pool's search)."""
    return VideoInfo.objects.filter(title__icontains=term).values("vid")


_NO_STATS = {"view": 0, "like": 0, "coin": 0, "fav": 0, "share": 0, "reply": 0, "danmaku": 0}


def video_detail_get(*, vid: int) -> dict | None:
    """The creative-api detail of a normal video: its info, its stats (zeros without a row) and its hot."""
    from hotrank.models import Business
    from hotrank.selectors import archive_hot_get

    info = video_info_get(vid=vid)
    if info is None or info["state"] != VideoState.NORMAL:
        return None
    stat = video_stat_get(vid=vid) or _NO_STATS
    video = {k: v for k, v in info.items() if k != "state"}
    video.update({k: v for k, v in stat.items() if k != "vid"})
    video["hot"] = archive_hot_get(oid=vid, business=Business.VIDEO)
    return video

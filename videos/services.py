"""Writes of the video service. Cache keys of changed videos are deleted on commit."""

from django.db import connections, router, transaction
from django.utils import timezone

from mybili.cache import cache_delete_many
from videos.models import STAT_FIELDS, Region, VideoInfo, VideoStat, VideoState
from videos.selectors import REGION_NAMES_KEY, video_info_key, video_stat_key


def video_cache_evict(*, vids) -> None:
    """Delete the videos' cache keys once the surrounding transaction commits.

    Deleting earlier would let a concurrent reader re-cache the old row before
    the commit; on_commit also skips the delete when the transaction rolls back.
    """
    keys = [key for vid in vids for key in (video_info_key(vid), video_stat_key(vid))]
    transaction.on_commit(lambda: cache_delete_many(keys))


# Columns the ranking pages show or filter on: a change moves readers to a new ranking generation.
RANKED_COLUMNS = ("vid", "title", "cover", "author_name", "region_id", "pub_time", "state")
# ... of which these decide whether a video's archive is listed and counted (the totals).
LISTING_COLUMNS = ("vid", "region_id", "state")


@transaction.atomic
def video_info_update(*, video: VideoInfo, fields: dict) -> VideoInfo:
    """Save a video (also one edited as a whole by the admin form; `fields` may then be empty).

    When its region or pub_time changes, its archive follows in the same
    transaction and is marked dirty; when anything the ranking pages show
    changes, the ranking generation moves on commit.
    """
    from hotrank.services import archive_video_follow, ranking_changed_on_commit, ranking_generation_bump

    for name, value in fields.items():
        setattr(video, name, value)
    video.full_clean()
    before = None
    if video.pk is not None:
        before = VideoInfo.objects.select_for_update().filter(pk=video.pk).values(*RANKED_COLUMNS).first()
    video.save()
    video_cache_evict(vids=[video.vid] if before is None or before["vid"] == video.vid else [video.vid, before["vid"]])
    if before is not None and (before["region_id"], before["pub_time"]) != (video.region_id, video.pub_time):
        archive_video_follow(oid=video.vid, region_id=video.region_id, pub_time=video.pub_time)
    if before is None or any(before[name] != getattr(video, name) for name in LISTING_COLUMNS):
        ranking_changed_on_commit()  # which archives are listed (and counted) may have changed
    elif any(before[name] != getattr(video, name) for name in RANKED_COLUMNS):
        transaction.on_commit(ranking_generation_bump)  # only what the pages show: totals stay
    return video


def _videos_state_set(*, vids, state: int) -> list[VideoInfo]:
    from hotrank.services import ranking_changed_on_commit

    vids = list(vids)
    changed: list[VideoInfo] = []
    for start in range(0, len(vids), 1000):
        rows = list(
            VideoInfo.objects.select_for_update()
            .filter(vid__in=vids[start : start + 1000])
            .exclude(state=state)
            .order_by("id")
        )
        VideoInfo.objects.filter(id__in=[v.id for v in rows]).update(state=state, mtime=timezone.now())
        for video in rows:
            video.state = state
        changed += rows
    if changed:
        video_cache_evict(vids=[v.vid for v in changed])
        ranking_changed_on_commit()
    return changed


@transaction.atomic
def videos_mark_deleted(*, vids) -> list[VideoInfo]:
    """Soft-delete videos (state 1): the API answers 404 and the rankings leave them out. Returns those changed."""
    return _videos_state_set(vids=vids, state=VideoState.DELETED)


@transaction.atomic
def videos_restore(*, vids) -> list[VideoInfo]:
    """Undo videos_mark_deleted. Returns the videos that were deleted."""
    return _videos_state_set(vids=vids, state=VideoState.NORMAL)


@transaction.atomic
def region_save(*, region: Region) -> Region:
    """Create or rename a region; readers of region_names() see it once committed."""
    region.full_clean()
    region.save()
    _region_names_changed()
    return region


@transaction.atomic
def region_delete(*, region_ids) -> int:
    """Delete regions; videos keep their region_id (a plain column) and show it without a name."""
    count, _ = Region.objects.filter(id__in=list(region_ids)).delete()
    _region_names_changed()
    return count


def _region_names_changed() -> None:
    """Once committed: drop the cached names, and move the rankings (their items carry names) to new pages."""
    from hotrank.services import ranking_generation_bump

    transaction.on_commit(lambda: cache_delete_many([REGION_NAMES_KEY]))
    transaction.on_commit(ranking_generation_bump)


@transaction.atomic
def video_stat_set(*, vid: int, counts: dict) -> VideoStat:
    """Set a video's absolute counters (creating the row), so retries are harmless."""
    from hotrank.services import archives_mark_dirty

    unknown = set(counts) - set(STAT_FIELDS)
    if unknown:
        raise ValueError(f"unknown stat fields: {sorted(unknown)}")
    stat, _ = VideoStat.objects.select_for_update().get_or_create(vid=vid)
    for name, value in counts.items():
        setattr(stat, name, value)
    stat.full_clean()
    stat.save()
    archives_mark_dirty(oids=[vid])
    video_cache_evict(vids=[vid])
    return stat


@transaction.atomic
def video_stat_save(*, stat: VideoStat) -> VideoStat:
    """Save a stat row edited as a whole (the admin form); its archive is rescored next pass."""
    from hotrank.services import archives_mark_dirty

    stat.full_clean()
    stat.save()
    archives_mark_dirty(oids=[stat.vid])
    video_cache_evict(vids=[stat.vid])
    return stat


INGEST_MAX_ITEMS = 1000
INGEST_COUNTERS = ("view", "like", "coin", "fav", "share", "reply", "danmaku")  # the API's names
_COLUMN = {"like": "like_count"}
_MAX_VID = 2**63 - 1
# Counters are capped so that a score (up to 4.125x a counter when boosted) always fits the
# signed BIGINT `hot` column; 10^15 is far above any real engagement count.
MAX_COUNT = 10**15


class StatsRejected(Exception):
    """The batch had invalid items; nothing was written. `errors` lists them by index."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


def _item_errors(item) -> dict[str, str]:
    if not isinstance(item, dict):
        return {"item": "must be an object"}
    errors = {}
    unknown = set(item) - {"vid", *INGEST_COUNTERS}
    if unknown:
        errors["item"] = f"unknown keys: {', '.join(sorted(map(str, unknown)))}"
    vid = item.get("vid")
    if type(vid) is not int or not 0 < vid <= _MAX_VID:
        errors["vid"] = "must be a positive integer"
    for name in INGEST_COUNTERS:
        if name not in item:
            errors[name] = "is required (counts are absolute)"
        elif type(item[name]) is not int or item[name] < 0:
            errors[name] = "must be a non-negative integer"
        elif item[name] > MAX_COUNT:
            errors[name] = f"must be at most {MAX_COUNT}"
    return errors


def video_stats_validate(*, items) -> list[dict]:
    """Per-item errors of an ingest batch: shape, known vid, no duplicate vid. Empty when valid."""
    errors = []
    for index, item in enumerate(items):
        item_errors = _item_errors(item)
        if item_errors:
            errors.append({"index": index, "vid": item.get("vid") if isinstance(item, dict) else None,
                           "errors": item_errors})
    bad = {e["index"] for e in errors}
    vids = [item["vid"] for i, item in enumerate(items) if i not in bad]
    known = set()
    for start in range(0, len(vids), 1000):
        known.update(VideoInfo.objects.filter(vid__in=vids[start : start + 1000]).values_list("vid", flat=True))
    seen: set[int] = set()
    for index, item in enumerate(items):
        if index in bad:
            continue
        vid = item["vid"]
        problem = "unknown vid" if vid not in known else "duplicate vid in this batch" if vid in seen else None
        seen.add(vid)
        if problem:
            errors.append({"index": index, "vid": vid, "errors": {"vid": problem}})
    return sorted(errors, key=lambda e: e["index"])


@transaction.atomic
def video_stats_ingest(*, items: list[dict]) -> int:
    """Write absolute stat counts for many videos at once, all or nothing.

    One bulk upsert (INSERT … ON DUPLICATE KEY UPDATE / ON CONFLICT), so a retried
    request is harmless; the archives are marked dirty for the incremental pass,
    and the videos' cache keys are deleted on commit. Raises StatsRejected.
    """
    from hotrank.services import archives_mark_dirty

    errors = video_stats_validate(items=items)
    if errors:
        raise StatsRejected(errors)
    if not items:
        return 0
    rows = [VideoStat(vid=item["vid"], **{_COLUMN.get(k, k): item[k] for k in INGEST_COUNTERS}) for item in items]
    # MySQL's ON DUPLICATE KEY UPDATE takes no conflict target (Django refuses one there); vid is
    # video_stat's only unique key besides the unset id, so the upsert is keyed on it either way.
    # No batch_size: MySQL takes the whole batch in one statement, SQLite as many as its parameter cap allows.
    features = connections[router.db_for_write(VideoStat)].features
    target = {"unique_fields": ["vid"]} if features.supports_update_conflicts_with_target else {}
    VideoStat.objects.bulk_create(rows, update_conflicts=True, update_fields=[*STAT_FIELDS, "mtime"], **target)
    vids = [item["vid"] for item in items]
    archives_mark_dirty(oids=vids)
    video_cache_evict(vids=vids)
    return len(rows)

"""Writes of the video service. Cache keys of changed videos are deleted on commit."""

from django.db import transaction

from mybili.cache import cache_delete_many
from videos.models import STAT_FIELDS, VideoInfo, VideoStat
from videos.selectors import video_info_key, video_stat_key


def video_cache_evict(*, vids) -> None:
    """Delete the videos' cache keys once the surrounding transaction commits.

    Deleting earlier would let a concurrent reader re-cache the old row before
    the commit; on_commit also skips the delete when the transaction rolls back.
    """
    keys = [key for vid in vids for key in (video_info_key(vid), video_stat_key(vid))]
    transaction.on_commit(lambda: cache_delete_many(keys))


@transaction.atomic
def video_info_update(*, video: VideoInfo, fields: dict) -> VideoInfo:
    for name, value in fields.items():
        setattr(video, name, value)
    video.full_clean()
    video.save()
    video_cache_evict(vids=[video.vid])
    return video


@transaction.atomic
def video_stat_set(*, vid: int, counts: dict) -> VideoStat:
    """Set a video's absolute counters (creating the row), so retries are harmless."""
    unknown = set(counts) - set(STAT_FIELDS)
    if unknown:
        raise ValueError(f"unknown stat fields: {sorted(unknown)}")
    stat, _ = VideoStat.objects.select_for_update().get_or_create(vid=vid)
    for name, value in counts.items():
        setattr(stat, name, value)
    stat.full_clean()
    stat.save()
    video_cache_evict(vids=[vid])
    return stat


@transaction.atomic
def video_stat_save(*, stat: VideoStat) -> VideoStat:
    """Save a stat row edited as a whole (the admin form)."""
    stat.full_clean()
    stat.save()
    video_cache_evict(vids=[stat.vid])
    return stat

"""django-q2 entry points: thin callers of hotrank.services.

A schedule that fires while a run of its business is active starts nothing:
the run lock refuses it and the task reports "already running".
"""

from django.conf import settings

from hotrank.services import (
    RecomputeAlreadyRunning,
    hot_recompute,
    hot_recompute_incremental,
    recompute_partition_execute,
    recompute_partitioned_start,
)


def recompute_full(business: int = 1) -> str:
    try:
        if settings.RECOMPUTE_PARTITIONS > 1:
            run = recompute_partitioned_start(business=business, partitions=settings.RECOMPUTE_PARTITIONS)
            return f"run {run.pk}: {settings.RECOMPUTE_PARTITIONS} partitions queued"
        run = hot_recompute(business=business)
    except RecomputeAlreadyRunning as exc:
        return f"already running: {exc}"
    return f"run {run.pk}: scanned {run.scanned}, updated {run.updated}"


def recompute_incremental(business: int = 1) -> str:
    try:
        run = hot_recompute_incremental(business=business)
    except RecomputeAlreadyRunning as exc:
        return f"already running: {exc}"
    return f"run {run.pk} ({run.mode}): scanned {run.scanned}, updated {run.updated}"


def recompute_partition(partition_id: int, batch_size: int) -> str:
    run = recompute_partition_execute(partition_id=partition_id, batch_size=batch_size)
    return f"partition {run.pk}: {run.status}, scanned {run.scanned}, updated {run.updated}"

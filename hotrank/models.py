from django.db import models
from django.db.models.functions import Now


class Business(models.IntegerChoices):
    VIDEO = 1, "video"
    ARTICLE = 2, "article"


class ArchiveState(models.IntegerChoices):
    NORMAL = 0, "normal"
    REMOVED = 1, "removed"


# Index names are referenced by the engine's index hints and the EXPLAIN tests.
SCAN_INDEX = "idx_business_state_id"
GLOBAL_RANK_INDEX = "idx_business_state_hot_id"
REGION_RANK_INDEX = "idx_business_region_state_hot"
PUB_TIME_INDEX = "idx_business_state_pub_time"


class AcademyArchive(models.Model):
    """An entry of the curated ranking pool; `id` is the recompute scan's cursor."""

    oid = models.BigIntegerField(unique=True, help_text="the video's vid")
    hot = models.BigIntegerField(default=0, db_default=0)
    business = models.SmallIntegerField(choices=Business.choices, default=Business.VIDEO, db_default=1)
    region_id = models.IntegerField(default=0, db_default=0)
    pub_time = models.BigIntegerField(default=0, db_default=0, help_text="unix seconds")
    state = models.SmallIntegerField(choices=ArchiveState.choices, default=ArchiveState.NORMAL, db_default=0)
    comment = models.CharField(max_length=255, default="", db_default="", blank=True)
    ctime = models.DateTimeField(auto_now_add=True, db_default=Now())
    mtime = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "academy_archive"
        indexes = [
            models.Index(fields=["business", "state", "id"], name=SCAN_INDEX),
            models.Index(fields=["business", "state", "hot", "id"], name=GLOBAL_RANK_INDEX),
            models.Index(fields=["business", "region_id", "state", "hot", "id"], name=REGION_RANK_INDEX),
            # the incremental pass's boost-window lookups
            models.Index(fields=["business", "state", "pub_time"], name=PUB_TIME_INDEX),
        ]
        verbose_name = "academy archive"

    def __str__(self):
        return f"archive {self.oid} (hot {self.hot})"


class RunMode(models.TextChoices):
    FULL = "full"
    INCREMENTAL = "incremental"
    PARTITION = "partition"
    SELECTED = "selected"  # chosen archives rescored from the admin; never the base of an incremental pass


class RunStatus(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RecomputeRun(models.Model):
    """One recompute pass; also the cross-process lock for its business.

    `active_business` equals `business` while the run is running and is NULL
    otherwise. Its unique constraint lets the database, not the process,
    refuse a second concurrent run of a business (NULLs never collide).
    """

    business = models.SmallIntegerField(choices=Business.choices, default=Business.VIDEO)
    mode = models.CharField(max_length=16, choices=RunMode.choices, default=RunMode.FULL)
    now_ts = models.BigIntegerField(help_text="the single `now` (unix seconds) the run scores with")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    scanned = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    last_id = models.BigIntegerField(default=0, help_text="checkpoint: the last archive id committed")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(help_text="refreshed after each batch; a stale one means the process died")
    error = models.TextField(blank=True, default="")
    active_business = models.SmallIntegerField(null=True, blank=True, unique=True, editable=False)
    max_archive_id = models.BigIntegerField(
        default=0, help_text="highest archive id when the run started; later ids are new to the next incremental pass"
    )
    unseen_ids = models.JSONField(
        default=list, blank=True,
        help_text="[archive id, unix time first missed] of ids at or below max_archive_id that were not visible "
        "when the run started (an insert still in flight, or rolled back); the next incremental pass rescores "
        "those that have appeared",
    )  # fmt: skip
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="partitions",
        help_text="the partitioned run this partition belongs to",
    )  # fmt: skip
    id_from = models.BigIntegerField(null=True, blank=True, help_text="partition: first archive id (exclusive)")
    id_to = models.BigIntegerField(null=True, blank=True, help_text="partition: last archive id (inclusive)")

    class Meta:
        db_table = "recompute_run"
        indexes = [models.Index(fields=["business", "status", "id"], name="idx_run_business_status")]
        permissions = [("run_recompute", "Can start a recompute from the admin")]

    def __str__(self):
        return f"run {self.pk} ({self.mode}, business {self.business}, {self.status})"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class DirtyArchive(models.Model):
    """A durable "stats changed" mark; the next incremental pass rescores the archive.

    Append-only: every change inserts a row, so marking never contends on a lock,
    and a pass deletes exactly the rows it read, so a mark made during the pass
    survives it.
    """

    oid = models.BigIntegerField()
    business = models.SmallIntegerField(choices=Business.choices, default=Business.VIDEO, db_default=1)
    marked_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        db_table = "hotrank_dirty_archive"
        indexes = [models.Index(fields=["business", "id"], name="idx_dirty_business_id")]

    def __str__(self):
        return f"dirty {self.oid}"


class RankingGeneration(models.Model):
    """The ranking cache's generations, one row: durable and shared by every process.

    `scores` moves when a recompute changed scores; `eligibility` when the set of
    listed archives may have changed (removed, restored, added, video deleted), which
    is all that invalidates the expensive ranking totals. Cache keys carry them, so
    readers switch to new keys at once. Kept in the database rather than in the
    cache so that processes without a shared cache (LocMem) agree, and a flushed
    cache cannot hand out an old number again.
    """

    scores = models.BigIntegerField(default=0)
    eligibility = models.BigIntegerField(default=0)

    class Meta:
        db_table = "hotrank_ranking_generation"

    def __str__(self):
        return f"generation {self.scores}.{self.eligibility}"

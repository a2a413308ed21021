from django.db import models
from django.db.models.functions import Now


class VideoState(models.IntegerChoices):
    NORMAL = 0, "normal"
    DELETED = 1, "deleted"


class VideoInfo(models.Model):
    """A video's metadata. Table and columns are the seed's, so its SQL dumps load as they are."""

    vid = models.BigIntegerField(unique=True)
    title = models.CharField(max_length=255, default="", db_default="")
    cover = models.CharField(max_length=255, default="", db_default="", blank=True)
    author_id = models.BigIntegerField(default=0, db_default=0)
    author_name = models.CharField(max_length=64, default="", db_default="", blank=True)
    region_id = models.IntegerField(default=0, db_default=0)
    duration = models.IntegerField(default=0, db_default=0, help_text="seconds")
    description = models.CharField(max_length=1024, default="", db_default="", blank=True, db_column="desc")
    pub_time = models.BigIntegerField(default=0, db_default=0, help_text="unix seconds")
    state = models.SmallIntegerField(choices=VideoState.choices, default=VideoState.NORMAL, db_default=0)
    ctime = models.DateTimeField(auto_now_add=True, db_default=Now())
    mtime = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "video_info"
        indexes = [
            models.Index(fields=["region_id", "state"], name="idx_region_state"),
            models.Index(fields=["pub_time", "state"], name="idx_pub_time_state"),
            models.Index(fields=["author_id", "state"], name="idx_author_state"),
        ]
        verbose_name = "video"

    def __str__(self):
        return f"{self.vid} {self.title}"


STAT_FIELDS = ("view", "like_count", "coin", "fav", "share", "reply", "danmaku")


class VideoStat(models.Model):
    """Engagement counters of one video; absolute counts, never negative."""

    vid = models.BigIntegerField(unique=True)
    view = models.PositiveBigIntegerField(default=0, db_default=0)
    like_count = models.PositiveBigIntegerField(default=0, db_default=0)
    coin = models.PositiveBigIntegerField(default=0, db_default=0)
    fav = models.PositiveBigIntegerField(default=0, db_default=0)
    share = models.PositiveBigIntegerField(default=0, db_default=0)
    reply = models.PositiveBigIntegerField(default=0, db_default=0)
    danmaku = models.PositiveBigIntegerField(default=0, db_default=0)
    ctime = models.DateTimeField(auto_now_add=True, db_default=Now())
    mtime = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "video_stat"
        verbose_name = "video stat"

    def __str__(self):
        return f"stat of {self.vid}"


class Region(models.Model):
    """A Bilibili region (分区). `id` is the region_id that video_info and academy_archive carry.

    video_info.region_id stays a plain integer column (the seed's schema), so a
    video may name a region that has no row here; readers fall back to its id.
    """

    id = models.IntegerField(primary_key=True, help_text="the region_id used by videos and archives")
    name = models.CharField(max_length=32)

    class Meta:
        db_table = "video_region"
        ordering = ("id",)

    def __str__(self):
        return f"{self.id} {self.name}"

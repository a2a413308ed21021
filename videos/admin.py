"""Operators' admin for videos, their stats and the regions: thin callers of the services."""

import time

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html

from hotrank.models import AcademyArchive, ArchiveState, Business
from hotrank.selectors import archives_of_videos
from hotrank.services import archives_add, archives_remove
from mybili.admin_utils import RankedChangeList, log_curation, rank_text, rows_ranks, thumbnail, unix_datetime
from videos.models import Region, VideoInfo, VideoStat, VideoState
from videos.selectors import region_names, video_stats_admin_rows, videos_admin_rows
from videos.services import (
    region_delete,
    region_save,
    video_info_update,
    video_stat_save,
    videos_mark_deleted,
    videos_restore,
)

DAY = 86400


# --- filters --------------------------------------------------------------------------------


class RegionFilter(admin.SimpleListFilter):
    """Region by name (region_id is a plain column, so the list comes from the Region table)."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(str(region_id), f"{name} ({region_id})") for region_id, name in sorted(region_names().items())]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(region_id=int(value))


class PublishedFilter(admin.SimpleListFilter):
    """pub_time (unix seconds) against now: the last 24 hours, the last week, or older."""

    title = "published"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("day", "last 24 hours"), ("week", "last 7 days"), ("older", "older than 7 days")]

    def queryset(self, request, queryset):
        now = int(time.time())
        if self.value() == "day":
            return queryset.filter(pub_time__gte=now - DAY, pub_time__lte=now)
        if self.value() == "week":
            return queryset.filter(pub_time__gte=now - 7 * DAY, pub_time__lte=now)
        if self.value() == "older":
            return queryset.filter(pub_time__lt=now - 7 * DAY)
        return queryset


class InRankingFilter(admin.SimpleListFilter):
    """Whether the video has an archive in the ranking pool (state normal)."""

    title = "in ranking"
    parameter_name = "in_ranking"

    def lookups(self, request, model_admin):
        return [("yes", "yes"), ("no", "no")]

    def queryset(self, request, queryset):
        listed = Exists(
            AcademyArchive.objects.filter(oid=OuterRef("vid"), business=Business.VIDEO, state=ArchiveState.NORMAL)
        )
        if self.value() == "yes":
            return queryset.filter(listed)
        if self.value() == "no":
            return queryset.filter(~listed)
        return queryset


# --- videos ---------------------------------------------------------------------------------


class VideoInfoForm(forms.ModelForm):
    """region_id stays a plain integer; the form offers the known regions (and keeps an unknown current one)."""

    class Meta:
        model = VideoInfo
        fields = ("vid", "title", "cover", "author_id", "author_name", "region_id", "pub_time", "duration",
                  "description", "state")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("region_id")
        if field is not None:
            choices = [(region_id, f"{name} ({region_id})") for region_id, name in sorted(region_names().items())]
            current = self.initial.get("region_id")
            if current is not None and current not in dict(choices):
                choices.insert(0, (current, f"#{current} (no region row)"))
            field.widget = forms.Select(choices=choices)


@admin.register(VideoInfo)
class VideoInfoAdmin(admin.ModelAdmin):
    form = VideoInfoForm
    list_display = ("cover_thumb", "vid", "title", "hot", "rank", "region", "published", "author_name", "state")
    list_display_links = ("vid", "title")
    list_filter = (RegionFilter, "state", PublishedFilter, InRankingFilter)
    search_fields = ("=vid", "title", "author_name")
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    actions = ("add_to_ranking", "remove_from_ranking", "mark_deleted", "restore")

    class Media:
        css = {"all": ("hotrank/admin.css",)}
    fieldsets = (
        (None, {"fields": ("vid", "title", "cover", "author_id", "author_name", "region_id", "pub_time",
                           "published", "duration", "description", "state")}),
        ("Ranking and stats", {"fields": ("ranking", "stats")}),
        ("Record", {"fields": ("ctime", "mtime"), "classes": ("collapse",)}),
    )  # fmt: skip

    def get_queryset(self, request):
        return videos_admin_rows(super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return RankedChangeList

    @staticmethod
    def rank_key(video):
        """(archive id, business, hot) when the video is ranked (it and its archive are normal)."""
        if video.state != VideoState.NORMAL or video.archive_state != ArchiveState.NORMAL:
            return None
        return video.archive_pk, Business.VIDEO, video.archive_hot

    def get_readonly_fields(self, request, obj=None):
        readonly = ["published", "ranking", "stats", "ctime", "mtime"]
        return readonly + ["vid"] if obj is not None else readonly  # the archive and stat hang on the vid

    def has_delete_permission(self, request, obj=None):
        return False  # videos are soft-deleted with the "mark deleted" action

    def has_curate_permission(self, request):
        return request.user.has_perms(["hotrank.add_academyarchive", "hotrank.change_academyarchive"])

    def save_model(self, request, obj, form, change):
        video_info_update(video=obj, fields={})

    # columns

    @admin.display(description="cover")
    def cover_thumb(self, video):
        return thumbnail(video.cover, title=video.title, hue=video.region_id * 47)

    @admin.display(description="region", ordering="region_id")
    def region(self, video):
        return video.region_name or f"#{video.region_id}"

    @admin.display(description="published", ordering="pub_time")
    def published(self, video):
        return unix_datetime(video.pub_time)

    @admin.display(description="hot", ordering="archive_hot")
    def hot(self, video):
        if video.archive_pk is None:
            return "—"
        if video.archive_state != ArchiveState.NORMAL:
            return format_html('<span style="color:#888" title="removed from the ranking">{} (removed)</span>',
                               video.archive_hot)  # fmt: skip
        return video.archive_hot

    @admin.display(description="rank")
    def rank(self, video):
        return rank_text(video.rank)

    @admin.display(description="ranking")
    def ranking(self, video):
        if getattr(video, "archive_pk", None) is None:
            return "Not in the ranking pool."
        url = reverse("admin:hotrank_academyarchive_change", args=[video.archive_pk])
        state = ArchiveState(video.archive_state).label
        (rank,) = rows_ranks([video], self.rank_key)
        rank = f", rank {rank_text(rank)}" if rank is not None else ""
        return format_html('<a href="{}">archive {}</a>: {}, hot {}{}', url, video.archive_pk, state,
                           video.archive_hot, rank)  # fmt: skip

    @admin.display(description="stats")
    def stats(self, video):
        stat = VideoStat.objects.filter(vid=video.vid).first()
        if stat is None:
            url = reverse("admin:videos_videostat_add") + f"?vid={video.vid}"
            return format_html('No stat row (scores 0). <a href="{}">Add one</a>', url)
        counts = ", ".join(f"{name} {getattr(stat, name):,}" for name in
                           ("view", "like_count", "coin", "fav", "share", "reply", "danmaku"))  # fmt: skip
        url = reverse("admin:videos_videostat_change", args=[stat.pk])
        return format_html('{} — <a href="{}">edit the stat</a>', counts, url)

    # actions

    @admin.action(description="Add to the ranking (create or restore the archive, score it now)",
                  permissions=["curate"])  # fmt: skip
    def add_to_ranking(self, request, queryset):
        videos = {v.vid: v for v in queryset}
        result = archives_add(vids=list(videos))
        log_curation(request, [videos[a.oid] for a in result.created], "Added to the ranking (archive created).")
        log_curation(request, [videos[a.oid] for a in result.restored], "Put back in the ranking (archive restored).")
        parts = [f"{len(result.created)} added", f"{len(result.restored)} restored"]
        if result.present:
            parts.append(f"{len(result.present)} already in the ranking")
        if result.missing:
            parts.append(f"{len(result.missing)} skipped (deleted videos)")
        level = messages.SUCCESS if result.added else messages.WARNING
        if result.run is not None:
            parts.append(f"scored by run {result.run.pk}")
        elif result.scored_on_commit:
            parts.append("scored once this change commits")
        elif result.not_scored:
            level = messages.WARNING
            parts.append(f"not scored yet ({result.not_scored}); the next pass scores them")
        self.message_user(request, "Ranking: " + ", ".join(parts) + ".", level)

    @admin.action(description="Remove from the ranking", permissions=["curate"])
    def remove_from_ranking(self, request, queryset):
        videos = {v.vid: v for v in queryset}
        archives = archives_of_videos(vids=list(videos), state=ArchiveState.NORMAL)
        removed = archives_remove(archive_ids=[a.id for a in archives])
        log_curation(request, [videos[a.oid] for a in archives], "Removed from the ranking.")
        level = messages.SUCCESS if removed else messages.WARNING
        self.message_user(request, f"{removed} video(s) removed from the ranking.", level)

    @admin.action(description="Mark deleted (hidden from the API and the rankings)", permissions=["change"])
    def mark_deleted(self, request, queryset):
        changed = videos_mark_deleted(vids=list(queryset.values_list("vid", flat=True)))
        log_curation(request, changed, "Marked deleted.")
        level = messages.SUCCESS if changed else messages.WARNING
        self.message_user(request, f"{len(changed)} video(s) marked deleted.", level)

    @admin.action(description="Restore (undo mark deleted)", permissions=["change"])
    def restore(self, request, queryset):
        changed = videos_restore(vids=list(queryset.values_list("vid", flat=True)))
        log_curation(request, changed, "Restored (state normal).")
        level = messages.SUCCESS if changed else messages.WARNING
        self.message_user(request, f"{len(changed)} video(s) restored.", level)


# --- stats ----------------------------------------------------------------------------------


class VideoStatForm(forms.ModelForm):
    class Meta:
        model = VideoStat
        fields = ("vid", "view", "like_count", "coin", "fav", "share", "reply", "danmaku")

    def clean_vid(self):
        vid = self.cleaned_data["vid"]
        if not VideoInfo.objects.filter(vid=vid).exists():
            raise forms.ValidationError("No video has this vid.")
        return vid


@admin.register(VideoStat)
class VideoStatAdmin(admin.ModelAdmin):
    form = VideoStatForm
    list_display = ("vid", "video_link", "view", "like_count", "coin", "fav", "share", "reply", "danmaku", "mtime")

    class Media:
        css = {"all": ("hotrank/admin.css",)}
    search_fields = ("=vid",)
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        return video_stats_admin_rows(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return ("vid", "ctime", "mtime") if obj is not None else ("ctime", "mtime")

    def get_changeform_initial_data(self, request):
        return {"vid": request.GET.get("vid", "")}

    def has_delete_permission(self, request, obj=None):
        return False  # a stat row is set, not deleted (a missing row scores 0)

    def save_model(self, request, obj, form, change):
        video_stat_save(stat=obj)

    @admin.display(description="video")
    def video_link(self, stat):
        if stat.video_pk is None:
            return "—"
        url = reverse("admin:videos_videoinfo_change", args=[stat.video_pk])
        return format_html('<a href="{}">{}</a>', url, stat.video_title)


# --- regions --------------------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("id", "name")
    list_display_links = ("id", "name")
    search_fields = ("name", "=id")
    ordering = ("id",)

    def get_readonly_fields(self, request, obj=None):
        return ("id",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        region_save(region=obj)

    def delete_model(self, request, obj):
        region_delete(region_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        region_delete(region_ids=list(queryset.values_list("id", flat=True)))


"""Operators' admin for the ranking pool and the recompute runs: thin callers of the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from hotrank.models import AcademyArchive, ArchiveState, Business, DirtyArchive, RecomputeRun
from hotrank.selectors import archives_admin_rows, recompute_runs_recent
from hotrank.services import (
    RecomputeAlreadyRunning,
    archive_comment_set,
    archives_add,
    archives_remove,
    archives_rescore,
    archives_restore,
    recompute_full_enqueue,
)
from mybili.admin_utils import RankedChangeList, log_curation, rank_text, rows_ranks, thumbnail, unix_datetime
from videos.admin import PublishedFilter, RegionFilter
from videos.models import VideoInfo, VideoState
from videos.selectors import videos_titled

RUN_PERMISSION = "hotrank.run_recompute"


class VideoListedFilter(admin.SimpleListFilter):
    """Whether the archive's video is normal; a deleted or missing video keeps its archive out of the ranking."""

    title = "video"
    parameter_name = "video"

    def lookups(self, request, model_admin):
        return [("normal", "normal"), ("gone", "deleted or missing")]

    def queryset(self, request, queryset):
        normal = Exists(VideoInfo.objects.filter(vid=OuterRef("oid"), state=VideoState.NORMAL))
        if self.value() == "normal":
            return queryset.filter(normal)
        if self.value() == "gone":
            return queryset.filter(~normal)
        return queryset


class ArchiveAddForm(forms.ModelForm):
    """Adding an archive names a video; region and pub_time are copied from it by the service."""

    class Meta:
        model = AcademyArchive
        fields = ("oid", "comment")
        labels = {"oid": "Vid"}
        help_texts = {"oid": "The video's vid. Its region and publication time are copied from the video."}

    def clean_oid(self):
        oid = self.cleaned_data["oid"]
        if not VideoInfo.objects.filter(vid=oid, state=VideoState.NORMAL).exists():
            raise forms.ValidationError("No normal (not deleted) video has this vid.")
        return oid


@admin.register(AcademyArchive)
class AcademyArchiveAdmin(admin.ModelAdmin):
    list_display = ("rank", "cover_thumb", "video_link", "hot", "region", "state", "comment", "published", "oid",
                    "business")  # fmt: skip
    list_display_links = ("oid",)
    list_editable = ("comment",)
    list_filter = ("state", VideoListedFilter, RegionFilter, PublishedFilter, "business")
    search_fields = ("=oid", "comment")
    search_help_text = "vid, comment, or words of the video's title"
    ordering = ("-hot", "-id")
    list_per_page = 50
    show_full_result_count = False
    actions = ("remove", "restore", "rescore_now")
    class Media:
        css = {"all": ("hotrank/admin.css",)}

    readonly_fields = ("oid", "video_link", "hot", "rank", "business", "region", "region_id", "pub_time",
                       "published", "state", "ctime", "mtime")  # fmt: skip
    fields = ("oid", "video_link", "hot", "rank", "business", "region", "published", "state", "comment", "ctime",
              "mtime")  # fmt: skip

    def get_queryset(self, request):
        return archives_admin_rows(super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return RankedChangeList

    @staticmethod
    def rank_key(archive):
        """(archive id, business, hot) when the archive is ranked (it and its video are normal)."""
        if archive.state != ArchiveState.NORMAL or archive.video_state != VideoState.NORMAL:
            return None
        return archive.id, archive.business, archive.hot

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found = found | queryset.filter(oid__in=videos_titled(term=term))
        return found, may_have_duplicates

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ArchiveAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("oid", "comment") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("widgets", {"comment": forms.TextInput(attrs={"size": 24})})
        return super().get_changelist_form(request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # archives are removed (state 1), keeping their row and comment

    def has_run_recompute_permission(self, request):
        return request.user.has_perm(RUN_PERMISSION)

    def save_model(self, request, obj, form, change):
        if change:  # the comment is the only editable column (also through list_editable)
            archive_comment_set(archive_id=obj.pk, comment=obj.comment)
            return
        result = archives_add(vids=[obj.oid], comment=obj.comment)
        archive = (result.added or result.present)[0]
        obj.pk, obj.hot = archive.pk, archive.hot

    # columns

    @admin.display(description="rank")
    def rank(self, archive):
        if not hasattr(archive, "rank"):  # the change page's object: not from the changelist
            (archive.rank,) = rows_ranks([archive], self.rank_key)
        return rank_text(archive.rank)

    @admin.display(description="cover")
    def cover_thumb(self, archive):
        return thumbnail(archive.video_cover or "", title=archive.video_title or "", hue=archive.region_id * 47)

    @admin.display(description="video")
    def video_link(self, archive):
        if archive.video_pk is None:
            return format_html('<span style="color:#ba2121">missing video {}</span>', archive.oid)
        url = reverse("admin:videos_videoinfo_change", args=[archive.video_pk])
        title = archive.video_title or f"video {archive.oid}"
        if archive.video_state != VideoState.NORMAL:
            return format_html('<a href="{}" style="text-decoration:line-through">{}</a> (deleted)', url, title)
        return format_html('<a href="{}">{}</a>', url, title)

    @admin.display(description="region", ordering="region_id")
    def region(self, archive):
        return archive.region_name or f"#{archive.region_id}"

    @admin.display(description="published", ordering="pub_time")
    def published(self, archive):
        return unix_datetime(archive.pub_time)

    # actions

    @admin.action(description="Remove from the ranking", permissions=["change"])
    def remove(self, request, queryset):
        targets = list(queryset.filter(state=ArchiveState.NORMAL))
        removed = archives_remove(archive_ids=[a.id for a in targets])
        log_curation(request, targets, "Removed from the ranking.")
        level = messages.SUCCESS if removed else messages.WARNING
        self.message_user(request, f"{removed} archive(s) removed from the ranking.", level)

    @admin.action(description="Restore to the ranking", permissions=["change"])
    def restore(self, request, queryset):
        targets = list(queryset.filter(state=ArchiveState.REMOVED))
        restored = archives_restore(archive_ids=[a.id for a in targets])
        log_curation(request, targets, "Put back in the ranking (restored; rescored by the next pass).")
        level = messages.SUCCESS if restored else messages.WARNING
        self.message_user(request, f"{restored} archive(s) restored to the ranking.", level)

    @admin.action(description="Recompute the selected now", permissions=["run_recompute"])
    def rescore_now(self, request, queryset):
        before = {a.id: a for a in queryset.filter(state=ArchiveState.NORMAL)}
        try:
            run = archives_rescore(archive_ids=list(before))
        except RecomputeAlreadyRunning as exc:
            self.message_user(request, f"Not recomputed: {exc}. Try again when it has finished.", messages.WARNING)
            return
        after = dict(AcademyArchive.objects.filter(id__in=list(before)).values_list("id", "hot"))
        for archive_id, archive in before.items():
            old, new = archive.hot, after.get(archive_id, archive.hot)
            change = f"hot {old} → {new}" if old != new else f"hot unchanged ({old})"
            self.log_change(request, archive, f"Recomputed now (run {run.pk}): {change}.")
        self.message_user(
            request, f"Run {run.pk}: {run.scanned} archive(s) recomputed, {run.updated} score(s) changed.",
            messages.SUCCESS if run.scanned else messages.WARNING,
        )  # fmt: skip


# --- runs -------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_GAP, CHART_SLOTS = 600, 90, 2, 30
STATUS_COLOURS = {"succeeded": "#417690", "failed": "#ba2121", "running": "#999999"}


def _bars(rows: list[dict], value_key: str, unit) -> dict:
    """Bar geometry of one panel (the template draws it as SVG)."""
    values = [row[value_key] or 0 for row in rows]
    top = max(values, default=0) or 1
    slot = CHART_WIDTH / max(len(rows), CHART_SLOTS)
    left = CHART_WIDTH - slot * len(rows)  # newest on the right edge
    bars = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        height = max(1.0, value / top * (CHART_HEIGHT - 6)) if value else 0.0
        bars.append({
            "x": round(left + i * slot + CHART_GAP / 2, 1), "y": round(CHART_HEIGHT - height, 1),
            "w": round(max(slot - CHART_GAP, 1), 1), "h": round(height, 1),
            "colour": STATUS_COLOURS.get(row["status"], "#999999"),
            "tip": f"run {row['id']} ({row['mode']}, {row['status']}): {unit(value)}",
        })  # fmt: skip
    return {"bars": bars, "max": unit(top if any(values) else 0)}


def runs_chart(rows: list[dict]) -> dict | None:
    """Durations and updated counts of recent runs, oldest on the left."""
    if not rows:
        return None
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "count": len(rows),
        "duration": _bars(rows, "seconds", lambda v: f"{v:.2f} s" if v < 10 else f"{v:,.0f} s"),
        "updated": _bars(rows, "updated", lambda v: f"{int(v):,} updated"),
        "legend": STATUS_COLOURS,
    }  # fmt: skip


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    """Runs are written by the engine only; operators read them and may queue a full pass."""

    list_display = ("id", "business", "mode", "status_badge", "now_ts", "scanned", "updated", "duration_display",
                    "started_at", "short_error")
    list_filter = ("status", "mode", "business")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    search_fields = ("=id", "error")
    ordering = ("-id",)
    readonly_fields = [f.name for f in RecomputeRun._meta.fields] + ["duration_display"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_run_recompute_permission(self, request):
        return request.user.has_perm(RUN_PERMISSION)

    def get_urls(self):
        run_full = path(
            "run-full/", self.admin_site.admin_view(self.run_full_view), name="hotrank_recomputerun_run_full"
        )
        return [run_full, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "runs_chart": runs_chart(recompute_runs_recent(limit=30)),
            "can_run_recompute": self.has_run_recompute_permission(request),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def run_full_view(self, request):
        """POST only (the changelist's button, with its CSRF token): queue a full pass on the worker."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_run_recompute_permission(request):
            raise PermissionDenied
        task_id = recompute_full_enqueue(business=Business.VIDEO)
        self.message_user(
            request, f"Full recompute queued (task {task_id}); the worker runs it and it shows here as a new run.",
            messages.SUCCESS,
        )  # fmt: skip
        return HttpResponseRedirect(reverse("admin:hotrank_recomputerun_changelist"))

    @admin.display(description="status", ordering="status")
    def status_badge(self, run):
        colour = {"succeeded": "#2e7d32", "failed": "#c62828", "running": "#1565c0"}.get(run.status, "#555")
        return format_html('<b style="color:{}">{}</b>', colour, run.status)

    @admin.display(description="duration")
    def duration_display(self, run):
        return f"{run.duration.total_seconds():.1f} s" if run.duration is not None else "—"

    @admin.display(description="error")
    def short_error(self, run):
        return (run.error[:80] + "…") if len(run.error) > 80 else run.error


@admin.register(DirtyArchive)
class DirtyArchiveAdmin(admin.ModelAdmin):
    list_display = ("id", "oid", "business", "marked_at")
    list_filter = ("business",)
    search_fields = ("=oid",)
    ordering = ("-id",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

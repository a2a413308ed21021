from django.contrib import admin
from django.utils.html import format_html

from hotrank.models import AcademyArchive, DirtyArchive, RecomputeRun


@admin.register(AcademyArchive)
class AcademyArchiveAdmin(admin.ModelAdmin):
    list_display = ("oid", "hot", "business", "region_id", "pub_time", "state", "comment", "mtime")
    list_filter = ("business", "state", "region_id")
    search_fields = ("=oid", "comment")
    ordering = ("-hot", "-id")
    show_full_result_count = False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    """Runs are written by the engine only; operators read them."""

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

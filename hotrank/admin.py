from django.contrib import admin

from hotrank.models import AcademyArchive, RecomputeRun


@admin.register(AcademyArchive)
class AcademyArchiveAdmin(admin.ModelAdmin):
    list_display = ("oid", "hot", "business", "region_id", "pub_time", "state", "comment", "mtime")
    list_filter = ("business", "state", "region_id")
    search_fields = ("=oid", "comment")
    ordering = ("-hot", "-id")
    show_full_result_count = False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = ("id", "business", "mode", "status", "now_ts", "scanned", "updated", "started_at", "finished_at")
    list_filter = ("status", "mode", "business")
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

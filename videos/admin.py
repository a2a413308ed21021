from django.contrib import admin

from videos.models import VideoInfo, VideoStat
from videos.services import video_info_update, video_stat_save


@admin.register(VideoInfo)
class VideoInfoAdmin(admin.ModelAdmin):
    list_display = ("vid", "title", "author_name", "region_id", "pub_time", "state", "mtime")
    list_filter = ("state", "region_id")
    search_fields = ("=vid", "title", "author_name")
    ordering = ("-id",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        video_info_update(video=obj, fields={})


@admin.register(VideoStat)
class VideoStatAdmin(admin.ModelAdmin):
    list_display = ("vid", "view", "like_count", "coin", "fav", "share", "reply", "danmaku", "mtime")
    search_fields = ("=vid",)
    ordering = ("-id",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        video_stat_save(stat=obj)

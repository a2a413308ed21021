"""The video service (the seed's video-rpc) and the creative-api video detail over HTTP."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from mybili.api.envelope import ok
from mybili.api.errors import ErrorCode, video_not_found, video_stat_not_found
from mybili.api.params import IdListField, StrictIntegerField, path_id, validated
from mybili.api.schema import data_object, path_id_parameter, responses
from mybili.api.views import ApiView
from videos.models import VideoState
from videos.selectors import (
    video_detail_get,
    video_info_get,
    video_infos_get,
    video_list,
    video_stat_get,
    video_stats_get,
)

NOT_FOUND = f"no such video, or deleted (code {ErrorCode.VIDEO_NOT_FOUND})"
VID = path_id_parameter("vid", "the video's vid")


class _VideoInfoFields(serializers.Serializer):
    vid = serializers.IntegerField()
    title = serializers.CharField()
    cover = serializers.CharField()
    author_id = serializers.IntegerField()
    author_name = serializers.CharField()
    region_id = serializers.IntegerField()
    pub_time = serializers.IntegerField()
    duration = serializers.IntegerField()
    desc = serializers.CharField()


class _StatCounts(serializers.Serializer):
    view = serializers.IntegerField()
    like = serializers.IntegerField()
    coin = serializers.IntegerField()
    fav = serializers.IntegerField()
    share = serializers.IntegerField()
    reply = serializers.IntegerField()
    danmaku = serializers.IntegerField()


class VideoInfoOut(_VideoInfoFields):
    state = serializers.IntegerField()


class VideoStatOut(_StatCounts):
    vid = serializers.IntegerField()


class VideoDetailOut(_VideoInfoFields, _StatCounts):
    hot = serializers.IntegerField(help_text="0 when the video is not in the ranking")


def _normal_video(vid: int) -> dict:
    info = video_info_get(vid=vid)
    if info is None or info["state"] != VideoState.NORMAL:
        raise video_not_found(vid)
    return info


class VideoDetailView(ApiView):
    @extend_schema(
        operation_id="creative_video_detail", parameters=[VID],
        responses=responses("VideoDetail", data_object("VideoDetailData", video=VideoDetailOut()), e404=NOT_FOUND),
        summary="Video detail with stats and hot score", tags=["creative"],
    )
    def get(self, request, vid: str):
        vid = path_id("vid", vid)
        video = video_detail_get(vid=vid)
        if video is None:
            raise video_not_found(vid)
        return ok({"video": video})


class VideoInfoView(ApiView):
    @extend_schema(
        operation_id="video_info", parameters=[VID],
        responses=responses("VideoInfo", data_object("VideoInfoData", info=VideoInfoOut()), e404=NOT_FOUND),
        summary="One video's info", tags=["video"],
    )
    def get(self, request, vid: str):
        vid = path_id("vid", vid)
        return ok({"info": _normal_video(vid)})


class VideoStatView(ApiView):
    @extend_schema(
        operation_id="video_stat", parameters=[VID],
        responses=responses("VideoStat", data_object("VideoStatData", stat=VideoStatOut()),
                            e404=f"{NOT_FOUND}; no stat row (code {ErrorCode.VIDEO_STAT_NOT_FOUND})"),
        summary="One video's stats", tags=["video"],
    )
    def get(self, request, vid: str):
        vid = path_id("vid", vid)
        _normal_video(vid)
        stat = video_stat_get(vid=vid)
        if stat is None:
            raise video_stat_not_found(vid)
        return ok({"stat": stat})


class BatchQuery(serializers.Serializer):
    vids = IdListField(max_items=100, help_text="comma-separated vids, at most 100")


class VideoInfoBatchView(ApiView):
    @extend_schema(
        operation_id="video_info_batch", parameters=[BatchQuery],
        responses=responses("VideoInfoBatch", data_object("VideoInfoBatchData", infos=serializers.DictField(
            child=VideoInfoOut(), help_text="vid (as a string) -> info; unknown and deleted vids are left out"))),
        summary="Infos of many videos; unknown and deleted vids are left out", tags=["video"],
    )  # fmt: skip
    def get(self, request):
        vids = validated(BatchQuery, request.query_params)["vids"]
        return ok({"infos": {str(vid): info for vid, info in video_infos_get(vids=vids).items()}})


class VideoStatBatchView(ApiView):
    @extend_schema(
        operation_id="video_stat_batch", parameters=[BatchQuery],
        responses=responses("VideoStatBatch", data_object("VideoStatBatchData", stats=serializers.DictField(
            child=VideoStatOut(), help_text="vid (as a string) -> stat; unknown and deleted vids are left out"))),
        summary="Stats of many videos; unknown and deleted vids are left out", tags=["video"],
    )  # fmt: skip
    def get(self, request):
        vids = validated(BatchQuery, request.query_params)["vids"]
        normal = video_infos_get(vids=vids)
        stats = video_stats_get(vids=[v for v in vids if v in normal])
        return ok({"stats": {str(vid): stat for vid, stat in stats.items()}})


class VideoListQuery(serializers.Serializer):
    last_vid = StrictIntegerField(required=False, default=0, min_value=0)
    limit = StrictIntegerField(required=False, default=50, min_value=1, max_value=100)


class VideoListPage(serializers.Serializer):
    list = VideoInfoOut(many=True)
    next_last_vid = serializers.IntegerField(help_text="pass as `last_vid` for the next page")
    has_more = serializers.BooleanField()


class VideoListView(ApiView):
    @extend_schema(
        operation_id="video_list", parameters=[VideoListQuery], responses=responses("VideoList", VideoListPage),
        summary="Normal videos in vid order, by cursor", tags=["video"],
    )  # fmt: skip
    def get(self, request):
        query = validated(VideoListQuery, request.query_params)
        return ok(video_list(last_vid=query["last_vid"], limit=query["limit"]))

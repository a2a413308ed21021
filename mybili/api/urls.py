from django.urls import path, re_path

from hotrank.api import HotByOidView, HotRankListView, HotRankRegionView
from mybili.api.exceptions import api_route_not_found
from videos.api import (
    VideoDetailView,
    VideoInfoBatchView,
    VideoInfoView,
    VideoListView,
    VideoStatBatchView,
    VideoStatView,
)
from videos.ingest import StatsIngestView

urlpatterns = [
    # the seed's creative-api
    path("creative/v1/hotrank/list", HotRankListView.as_view(), name="hotrank-list"),
    path("creative/v1/hotrank/region", HotRankRegionView.as_view(), name="hotrank-region"),
    path("creative/v1/video/<str:vid>", VideoDetailView.as_view(), name="creative-video"),
    # the video service (video-rpc)
    path("video/v1/videos", VideoListView.as_view(), name="video-list"),
    path("video/v1/videos/batch", VideoInfoBatchView.as_view(), name="video-batch"),
    path("video/v1/videos/<str:vid>", VideoInfoView.as_view(), name="video-info"),
    path("video/v1/videos/<str:vid>/stat", VideoStatView.as_view(), name="video-stat"),
    path("video/v1/stats/batch", VideoStatBatchView.as_view(), name="stat-batch"),
    path("video/v1/stats", StatsIngestView.as_view(), name="stats-ingest"),
    # hotrank-rpc
    path("hotrank/v1/hot/<str:oid>", HotByOidView.as_view(), name="hotrank-hot"),
]

# Last: any other /api/ path answers the envelope, in DEBUG too (Django's 404 page would be HTML).
catch_all = re_path(r"^.*$", api_route_not_found)

"""POST /api/video/v1/stats: token-authenticated bulk ingest of absolute stat counts."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import IsAuthenticated

from mybili.api.envelope import ok
from mybili.api.errors import ApiError, ErrorCode
from mybili.api.schema import responses
from mybili.api.views import ApiView
from videos.services import INGEST_MAX_ITEMS, MAX_COUNT, StatsRejected, video_stats_ingest


class StatItemIn(serializers.Serializer):
    vid = serializers.IntegerField(min_value=1)
    view = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    like = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    coin = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    fav = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    share = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    reply = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    danmaku = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)


class StatsIngestIn(serializers.Serializer):
    stats = StatItemIn(many=True, max_length=INGEST_MAX_ITEMS, min_length=1)


class StatsIngestView(ApiView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        # DRF authenticates before it looks up the handler, so a GET without a token would
        # answer 401; the route serves no GET for anyone, so say 405 first.
        if request.method.upper() not in self._allowed_methods():
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="video_stats_ingest",
        request=StatsIngestIn,
        responses=responses(
            "StatsIngest",
            inline_serializer("StatsIngestResult", {"written": serializers.IntegerField()}),
            e401=f"missing or invalid token (code {ErrorCode.AUTH_ERROR})",
        ),
        examples=[OpenApiExample("one video", value={"stats": [
            {"vid": 1, "view": 1000, "like": 50, "coin": 5, "fav": 9, "share": 2, "reply": 7, "danmaku": 30}]})],
        summary="Set absolute stat counts of up to 1,000 videos; all or nothing",
        description="Every item is validated (integers from 0 to 10^15, a known vid, no duplicate vid); any invalid "
        "item rejects the whole request with 400, code 1002, and `data.errors` listing each by index. "
        "Counts are absolute, so a retry is harmless. Authenticate with `Authorization: Token <key>`.",
        tags=["video"],
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("stats"), list):
            raise ApiError(ErrorCode.REQUEST_PARAM_ERROR, 400, "stats: must be a list of stat items")
        items = body["stats"]
        if not 1 <= len(items) <= INGEST_MAX_ITEMS:
            raise ApiError(ErrorCode.REQUEST_PARAM_ERROR, 400, f"stats: must hold 1 to {INGEST_MAX_ITEMS} items")
        try:
            written = video_stats_ingest(items=items)
        except StatsRejected as exc:
            first = exc.errors[0]
            field, reason = next(iter(first["errors"].items()))
            raise ApiError(
                ErrorCode.REQUEST_PARAM_ERROR, 400,
                f"stats: {len(exc.errors)} invalid item(s), nothing written; first: stats[{first['index']}].{field}: "
                f"{reason}",
                data={"errors": exc.errors},
            ) from None
        return ok({"written": written})

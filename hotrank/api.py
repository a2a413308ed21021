"""The ranking routes (the seed's creative-api and hotrank-rpc over HTTP)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from hotrank.models import Business
from hotrank.selectors import archive_rank_get, ranking_page_json
from mybili.api.envelope import ok, ok_prerendered
from mybili.api.errors import ErrorCode, hotrank_not_found
from mybili.api.params import CursorField, StrictIntegerField, path_id, validated_query
from mybili.api.schema import path_id_parameter, responses
from mybili.api.views import ApiView

MAX_OFFSET = 100_000  # deeper pages use `cursor`; OFFSET costs grow with depth


class RankingQuery(serializers.Serializer):
    offset = StrictIntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
    limit = StrictIntegerField(required=False, default=50, min_value=1, max_value=100)
    cursor = CursorField(required=False, help_text="`next_cursor` of the previous page; replaces `offset`")


class RegionRankingQuery(RankingQuery):
    region_id = StrictIntegerField(min_value=0, max_value=2**31 - 1)


class RankingItem(serializers.Serializer):
    oid = serializers.IntegerField()
    hot = serializers.IntegerField()
    rank = serializers.IntegerField()
    title = serializers.CharField()
    cover = serializers.CharField()
    author = serializers.CharField()
    view = serializers.IntegerField()
    like = serializers.IntegerField()
    region_id = serializers.IntegerField()
    region_name = serializers.CharField(allow_null=True, help_text="null when the region has no name yet")
    pub_time = serializers.IntegerField()


class RankingPage(serializers.Serializer):
    list = RankingItem(many=True)
    total = serializers.IntegerField(help_text="eligible archives whose video exists and is not deleted")
    next_cursor = serializers.CharField(allow_null=True, help_text="pass as `cursor` for the next page")


class HotRank(serializers.Serializer):
    oid = serializers.IntegerField()
    business = serializers.IntegerField()
    hot = serializers.IntegerField()
    rank = serializers.IntegerField()


def _ranking_response(query: dict, region_id: int | None):
    page = ranking_page_json(
        business=Business.VIDEO, region_id=region_id, offset=query["offset"], limit=query["limit"],
        after=query.get("cursor"),
    )  # fmt: skip
    return ok_prerendered(page)


class HotRankListView(ApiView):
    @extend_schema(
        operation_id="hotrank_list", parameters=[RankingQuery], responses=responses("RankingPage", RankingPage),
        summary="Global hot ranking", tags=["creative"],
    )  # fmt: skip
    def get(self, request):
        return _ranking_response(validated_query(RankingQuery, request), None)


class HotRankRegionView(ApiView):
    @extend_schema(
        operation_id="hotrank_region", parameters=[RegionRankingQuery],
        responses=responses("RankingPage", RankingPage), summary="Hot ranking of one region", tags=["creative"],
    )  # fmt: skip
    def get(self, request):
        query = validated_query(RegionRankingQuery, request)
        return _ranking_response(query, query["region_id"])


class HotByOidQuery(serializers.Serializer):
    business = StrictIntegerField(required=False, default=Business.VIDEO, min_value=1, max_value=2)


class HotByOidView(ApiView):
    @extend_schema(
        operation_id="hotrank_hot", parameters=[path_id_parameter("oid", "the archive's oid (its video's vid)"),
                                                HotByOidQuery],
        responses=responses("HotRank", HotRank, e404=f"not in the ranking (code {ErrorCode.HOTRANK_NOT_FOUND})"),
        summary="Hot score and rank of one archive", tags=["hotrank"],
    )  # fmt: skip
    def get(self, request, oid: str):
        oid = path_id("oid", oid)
        business = validated_query(HotByOidQuery, request)["business"]
        entry = archive_rank_get(oid=oid, business=business)
        if entry is None:
            raise hotrank_not_found(oid, business)
        return ok(entry)

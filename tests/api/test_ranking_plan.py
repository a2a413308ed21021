"""The ranking page queries walk their ranking index backwards: no filesort, with and without the keyset."""

import pytest
from django.db import connection
from django.db.models import Q

from hotrank.models import GLOBAL_RANK_INDEX, REGION_RANK_INDEX, AcademyArchive
from hotrank.selectors import ranking_sql
from videos.models import VideoInfo, VideoStat

pytestmark = pytest.mark.django_db

N = 3000


@pytest.fixture
def big_pool():
    VideoInfo.objects.bulk_create(
        VideoInfo(vid=i, title=f"v{i}", region_id=i % 20, state=int(i % 50 == 0)) for i in range(1, N + 1)
    )
    VideoStat.objects.bulk_create(VideoStat(vid=i, view=i) for i in range(1, N + 1, 2))
    AcademyArchive.objects.bulk_create(
        AcademyArchive(oid=i, hot=(i * 7919) % 1000, region_id=i % 20, business=1 + (i % 9 == 0),
                       state=int(i % 11 == 0))
        for i in range(1, N + 1)
    )


def params(*, region: bool, keyset: bool, offset: int = 0):
    values = [1] + ([3] if region else []) + [0]
    if keyset:
        values += [500, 500, 1500]
    return values + [50, offset]


CASES = [(False, False), (False, True), (True, False), (True, True)]


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits implicitly
@pytest.mark.parametrize(("region", "keyset"), CASES)
def test_mysql_ranking_uses_the_ranking_index_without_filesort(big_pool, region, keyset):
    with connection.cursor() as cursor:
        for table in ("academy_archive", "video_info", "video_stat"):
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()
        cursor.execute("EXPLAIN " + ranking_sql(region=region, keyset=keyset), params(region=region, keyset=keyset))
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    archive = [row for row in plan if row["table"] == "a"]
    assert len(archive) == 1, plan
    assert archive[0]["key"] == (REGION_RANK_INDEX if region else GLOBAL_RANK_INDEX), plan
    assert plan[0]["table"] == "a", plan  # the archive index drives the join, in ranking order
    for row in plan:
        assert "filesort" not in (row["Extra"] or ""), plan
        assert "temporary" not in (row["Extra"] or ""), plan
    joined = {row["table"]: row for row in plan if row["table"] != "a"}
    assert joined["v"]["type"] == "eq_ref" and joined["s"]["type"] == "eq_ref", plan


@pytest.mark.sqlite
@pytest.mark.parametrize(("region", "keyset"), CASES)
def test_sqlite_ranking_uses_the_ranking_index_without_temp_btree(big_pool, region, keyset):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "EXPLAIN QUERY PLAN " + ranking_sql(region=region, keyset=keyset), params(region=region, keyset=keyset)
        )
        details = [row[-1] for row in cursor.fetchall()]
    index = REGION_RANK_INDEX if region else GLOBAL_RANK_INDEX
    assert details[0].startswith("SCAN a USING INDEX") or details[0].startswith("SEARCH a USING INDEX"), details
    assert index in details[0], details
    assert not any("TEMP B-TREE" in d for d in details), details


def test_the_hinted_query_returns_the_ranking_order(big_pool):
    """The index hint changes the plan, never the answer: compare with a plain ORDER BY."""
    with connection.cursor() as cursor:
        for region in (False, True):
            for keyset in (False, True):
                cursor.execute(ranking_sql(region=region, keyset=keyset), params(region=region, keyset=keyset))
                got = [row[1] for row in cursor.fetchall()]
                qs = AcademyArchive.objects.filter(business=1, state=0, oid__in=VideoInfo.objects.filter(state=0)
                                                   .values("vid"))
                if region:
                    qs = qs.filter(region_id=3)
                if keyset:
                    qs = qs.filter(Q(hot__lt=500) | Q(hot=500, id__lt=1500))
                assert got == list(qs.order_by("-hot", "-id").values_list("oid", flat=True)[:50])

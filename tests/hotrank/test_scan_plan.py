"""The recompute scan must be a range scan on (business, state, id) on every backend.

A `ref` on (business, state) that filters `id` from the start of the index turns a
pass quadratic on MariaDB; the engine pins the index to prevent it.
"""

import pytest
from django.db import connection

from hotrank.engine import scan_sql as _scan_sql
from hotrank.models import SCAN_INDEX, AcademyArchive

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool():
    AcademyArchive.objects.bulk_create(
        AcademyArchive(oid=i, business=1 + (i % 5 == 0), state=int(i % 7 == 0)) for i in range(1, 3001)
    )


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits implicitly
def test_mysql_scan_is_a_range_scan_on_the_scan_index(pool):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE academy_archive")
        cursor.fetchall()
        cursor.execute("EXPLAIN " + _scan_sql(), [1, 0, 1500, 1000])
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert len(plan) == 1
    assert plan[0]["key"] == SCAN_INDEX
    assert plan[0]["type"] == "range"
    assert "filesort" not in (plan[0]["Extra"] or "")


@pytest.mark.sqlite
def test_sqlite_scan_searches_the_scan_index_by_id_range(pool):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + _scan_sql(), [1, 0, 1500, 1000])
        details = " ".join(row[-1] for row in cursor.fetchall())
    assert f"INDEX {SCAN_INDEX} (business=? AND state=? AND id>?)" in details
    assert "TEMP B-TREE" not in details

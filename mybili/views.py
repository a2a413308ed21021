"""Operational endpoints and the public ranking page."""

import logging
import re

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import generate_latest

from hotrank.metrics import RECOMPUTE_REGISTRY
from hotrank.models import Business
from hotrank.selectors import PAGE_TTL, ranking_generation, ranking_region_ids
from hotrank.selectors import ranking_page as ranking_page_data
from mybili.cache import cache_get_or_compute
from videos.selectors import region_names

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def metrics(request):
    """django-prometheus's export (one process's registry, or every worker's in multiprocess
    mode), followed by the recompute gauges, which are read from the database."""
    response = ExportToDjangoView(request)
    response.content = response.content + generate_latest(RECOMPUTE_REGISTRY)
    return response


@require_GET
def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("readyz: database unavailable: %s", exc)
        checks["database"] = "unavailable"
    try:
        cache.set("readyz", 1, 5)
        checks["cache"] = "ok" if cache.get("readyz") == 1 else "unavailable"
    except Exception as exc:
        logger.warning("readyz: cache unavailable: %s", exc)
        checks["cache"] = "unavailable"
    # The cache only accelerates: the API answers from the database without it, so a cache
    # outage is reported here but must not take every web pod out of service.
    ready = checks["database"] == "ok"
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


# --- the public ranking page -------------------------------------------------------------

_REGION_PARAM = re.compile(r"^[0-9]{1,10}$")
_MAX_REGION_ID = 2**31 - 1  # region_id is an INT column
PAGE_SIZE = 50


def region_name(region_id: int, names: dict[int, str]) -> str:
    return names.get(region_id, f"区 {region_id}")


def _one_decimal(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def compact_number(n: int) -> str:
    """Counts the way Bilibili shows them: 9,999, 1.2万, 3.4亿."""
    if n >= 10**8:
        return f"{_one_decimal(n / 10**8)}亿"
    if n >= 10**4:
        text = _one_decimal(n / 10**4)
        return "1亿" if text == "10000" else f"{text}万"  # 9999.96万 rounds up to the next unit
    return f"{n:,}"


def _region_param(raw: str | None) -> tuple[int | None, bool]:
    """(region id or None for the global list, whether the parameter was invalid)."""
    if raw is None or raw == "":
        return None, False
    if _REGION_PARAM.match(raw) and int(raw) <= _MAX_REGION_ID:
        return int(raw), False
    return None, True


def _region_ids(business: int) -> list[int]:
    """The regions that have eligible archives, cached per ranking generation like the pages.

    Uncached, the DISTINCT scan costs ~0.3 s per page view at a million archives on MariaDB.
    """
    gen = ranking_generation()
    return cache_get_or_compute(
        f"page:regions:{gen}:{business}", lambda: ranking_region_ids(business=business), PAGE_TTL
    )


@require_GET
def ranking_page(request):
    """`/`: the global top 50, or one region's with `?region=<id>`, rendered on the server."""
    region_id, invalid = _region_param(request.GET.get("region"))
    page = ranking_page_data(business=Business.VIDEO, region_id=region_id, offset=0, limit=PAGE_SIZE)
    region_ids = _region_ids(Business.VIDEO)
    names = region_names()
    if region_id is not None and region_id not in region_ids:
        region_ids = sorted([*region_ids, region_id])  # keep the selected tab visible even when empty
    items = [
        {
            **item,
            "region_name": item["region_name"] or region_name(item["region_id"], names),
            "hot_text": compact_number(item["hot"]),
            "view_text": compact_number(item["view"]),
            "like_text": compact_number(item["like"]),
            "exact": f"热度 {item['hot']:,} · 播放 {item['view']:,} · 点赞 {item['like']:,}",
            "hue": item["region_id"] * 47 % 360,  # a stable per-region colour behind a cover that fails to load
        }
        for item in page["list"]
    ]
    context = {
        "items": items,
        "total": f"{page['total']:,}",
        "region_id": region_id,
        "region_label": region_name(region_id, names) if region_id is not None else "全站",
        "tabs": [{"id": rid, "name": region_name(rid, names)} for rid in region_ids],
        "invalid_region": request.GET.get("region") if invalid else None,
    }
    return render(request, "ranking.html", context)

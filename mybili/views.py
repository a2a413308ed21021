"""Operational endpoints and the public ranking page."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


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
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@require_GET
def ranking_page(request):
    return render(request, "ranking.html", {})

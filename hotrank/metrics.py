"""Prometheus gauges of the recompute job, read from the database at scrape time.

A job that stopped running shows here as an age that keeps growing, which an alert
can watch; counters kept in the worker's memory would vanish with the worker.
"""

import logging

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

logger = logging.getLogger(__name__)


class RecomputeCollector(Collector):
    def collect(self):
        from hotrank.selectors import recompute_freshness_get

        try:
            rows = recompute_freshness_get()
        except DatabaseError:
            # The other metrics still matter most when the database is down.
            logger.warning("recompute metrics skipped: database unavailable", exc_info=True)
            return

        last_success = GaugeMetricFamily(
            "mybili_recompute_last_success_timestamp_seconds",
            "When a full or incremental pass of the business last succeeded (unix seconds).",
            labels=["business", "kind"],
        )
        running = GaugeMetricFamily(
            "mybili_recompute_running", "1 while a recompute of the business is running.", labels=["business"]
        )
        seen: set[int] = set()
        for business, kind, finished, is_running in rows:
            if finished is not None:
                last_success.add_metric([str(business), kind], finished)
            if business not in seen:
                seen.add(business)
                running.add_metric([str(business)], 1.0 if is_running else 0.0)
        yield last_success
        yield running

    def describe(self):
        return []  # no database query when registering


# Not the default registry: with PROMETHEUS_MULTIPROC_DIR set (the image sets it),
# django-prometheus exports a fresh multiprocess registry instead, and a collector
# on the default one would never be scraped. mybili.views.metrics serves both.
RECOMPUTE_REGISTRY = CollectorRegistry(auto_describe=False)
RECOMPUTE_REGISTRY.register(RecomputeCollector())

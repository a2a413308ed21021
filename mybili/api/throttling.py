import logging

from rest_framework.throttling import AnonRateThrottle

from mybili.cache import cache_failed

logger = logging.getLogger("mybili.api")


class AnonThrottle(AnonRateThrottle):
    """The anonymous throttle, failing open: a cache outage must not turn into 500s."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            cache_failed("throttle", exc)
            return True

"""Bench-only urlconf: the project's routes plus `bench/ceiling`, the ceiling of bench_api.

Selected with DJANGO_ROOT_URLCONF=bench.ceiling_urls; never part of a deployment.
`bench/ceiling` answers the same bytes as the cached ranking API, read once per
process from the file bench_api writes before it starts the server: a plain
Django view returning a constant, behind the same middleware, so the
difference between the two is what the API layer and the ranking cache cost.
"""

from django.http import HttpResponse
from django.urls import path

from bench._setup import OUT
from mybili.urls import handler400, handler500  # noqa: F401
from mybili.urls import urlpatterns as project_urlpatterns

PAYLOAD_FILE = OUT / "api_payload.json"
_PAYLOAD = PAYLOAD_FILE.read_bytes()


def ceiling(request):
    return HttpResponse(_PAYLOAD, content_type="application/json")


urlpatterns = [*project_urlpatterns, path("bench/ceiling", ceiling, name="bench-ceiling")]

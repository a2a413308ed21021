"""Property-based requests from the generated schema against the WSGI app, in process.

Valid and invalid inputs for every documented operation: no response is a 5xx, and
every response (errors included) matches what the schema documents for its status.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hotrank.models import AcademyArchive
from mybili.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def in_process_wsgi():
    """Keep the test's connection across requests, as Django's test client does.

    The handler's close_old_connections would close the connection that holds the
    test transaction (its autocommit differs from the configured one).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def pool(make_video):
    """A small pool with the cases the routes distinguish: ties, regions, deleted and missing videos."""
    videos = []
    for i in range(1, 13):
        videos.append(make_video(vid=i, stats={"view": 100 * i, "coin": i}, region_id=1 + i % 3,
                                 video_state=1 if i == 7 else 0, with_stat=i != 5, in_pool=i != 9))
    for i, video in enumerate(videos):
        AcademyArchive.objects.filter(oid=video.vid).update(hot=(i // 2) * 10)
    return videos


# Loaded at import, through the app's own /api/schema/ route (pytest 9 broke schemathesis's
# lazy `from_fixture` loader). No database is needed to build the schema.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, pool, in_process_wsgi, no_throttle, settings):
    settings.ALLOWED_HOSTS = ["localhost"]  # the host the WSGI transport sends
    case.call_and_validate(checks=CHECKS)

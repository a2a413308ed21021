"""Every /api/ response is the `{code, msg, data}` envelope with the matching HTTP status."""

import logging

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from hotrank import selectors as hotrank_selectors
from mybili.api.exceptions import handler500
from mybili.api.throttling import AnonThrottle
from tests.api.helpers import body, error, ok_data
from videos import api as videos_api

pytestmark = pytest.mark.django_db

ROUTES = [
    "/api/creative/v1/hotrank/list",
    "/api/creative/v1/hotrank/region?region_id=1",
    "/api/creative/v1/video/{vid}",
    "/api/video/v1/videos/{vid}",
    "/api/video/v1/videos/{vid}/stat",
    "/api/video/v1/videos/batch?vids={vid}",
    "/api/video/v1/stats/batch?vids={vid}",
    "/api/video/v1/videos",
    "/api/hotrank/v1/hot/{vid}",
]


@pytest.fixture
def video(make_video):
    return make_video()


@pytest.mark.parametrize("route", ROUTES)
def test_success_is_code_0(api, video, route):
    ok_data(api.get(route.format(vid=video.vid)))


@pytest.mark.parametrize(
    "path",
    ["/api/nope", "/api/", "/api/creative/v1/hotrank/list/", "/api/video/v1/videos/1/stat/extra", "/api/creative"],
)
def test_unknown_route_is_404_code_1006(api, path):
    error(api.get(path), 404, 1006)


def test_unknown_route_answers_the_envelope_to_a_post_without_csrf_token():
    # A browser-style client with CSRF checks on: Django's CSRF failure page is HTML.
    client = Client(enforce_csrf_checks=True)
    error(client.post("/api/nope", data="{}", content_type="application/json"), 404, 1006)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_wrong_method_is_405_code_1007(video, method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/creative/v1/hotrank/list", data="{}", content_type="application/json")
    error(response, 405, 1007)
    assert "GET" in response["Allow"]
    response = getattr(client, method)(f"/api/video/v1/videos/{video.vid}", data="{}", content_type="application/json")
    error(response, 405, 1007)


def test_options_is_answered_with_the_envelope(api):
    response = api.options("/api/creative/v1/hotrank/list")
    body(response)


def test_head_is_served_like_get(api, video):
    response = api.head("/api/creative/v1/hotrank/list")
    assert response.status_code == 200


def test_bad_parameter_is_400_code_1002_naming_the_parameter(api):
    assert "limit" in error(api.get("/api/creative/v1/hotrank/list?limit=abc"), 400, 1002)


def test_missing_video_is_404_code_10001(api):
    assert "424242" in error(api.get("/api/video/v1/videos/424242"), 404, 10001)


def test_archive_not_in_ranking_is_404_code_11001(api, make_video):
    video = make_video(in_pool=False)
    error(api.get(f"/api/hotrank/v1/hot/{video.vid}"), 404, 11001)


def test_throttled_is_429_code_1005(api, monkeypatch, video):
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    for _ in range(3):
        ok_data(api.get("/api/creative/v1/hotrank/list"))
    response = api.get("/api/creative/v1/hotrank/list")
    error(response, 429, 1005)
    assert int(response["Retry-After"]) > 0
    # the throttle counts per client, across routes
    error(api.get(f"/api/video/v1/videos/{video.vid}"), 429, 1005)
    ok_data(api.get("/api/creative/v1/hotrank/list", REMOTE_ADDR="10.0.0.2"))


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api, monkeypatch):
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    statuses = [api.get("/api/creative/v1/hotrank/list", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
                for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_throttle_off_lets_everything_through(api, no_throttle):
    for _ in range(30):
        ok_data(api.get("/api/creative/v1/hotrank/list?limit=1"))


def _raise(*args, **kwargs):
    raise RuntimeError("secret-internal-detail from the selector")


@pytest.mark.parametrize(
    ("target", "route"),
    [
        ((hotrank_selectors, "ranking_total"), "/api/creative/v1/hotrank/list"),
        ((hotrank_selectors, "_ranking_rows"), "/api/creative/v1/hotrank/region?region_id=1"),
        ((videos_api, "video_info_get"), "/api/video/v1/videos/{vid}"),
        ((videos_api, "video_list"), "/api/video/v1/videos"),
    ],
)
def test_unhandled_exception_is_500_code_1001_logged_but_not_shown(api, video, monkeypatch, caplog, target, route):
    monkeypatch.setattr(*target, _raise)
    with caplog.at_level(logging.ERROR, logger="mybili.api"):
        response = api.get(route.format(vid=video.vid))
    msg = error(response, 500, 1001)
    text = response.content.decode()
    assert "secret-internal-detail" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert msg == "server busy, please retry later"
    logged = [r for r in caplog.records if r.name == "mybili.api" and r.exc_info]
    assert logged, "the traceback must be logged"
    assert "secret-internal-detail" in caplog.text and "Traceback" in caplog.text


def test_database_unavailable_is_503_code_1003(api, monkeypatch, caplog):
    def down(**kwargs):
        raise OperationalError("(2003, \"Can't connect to MySQL server on 'db' (111)\")")

    monkeypatch.setattr(hotrank_selectors, "ranking_total", down)
    with caplog.at_level(logging.ERROR, logger="mybili.api"):
        response = api.get("/api/creative/v1/hotrank/list")
    error(response, 503, 1003)
    assert "MySQL" not in response.content.decode()
    assert "Can't connect" in caplog.text


def test_handler500_answers_the_envelope_under_api_only():
    factory = RequestFactory()
    response = handler500(factory.get("/api/creative/v1/hotrank/list"))
    error(response, 500, 1001)
    page = handler500(factory.get("/"))
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")

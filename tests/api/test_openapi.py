"""The OpenAPI schema documents every route as the envelope around its data; the docs pages work offline."""

import json
import os
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, RequestFactory

from mybili.api.docs import RedocView

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_spectacular_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)


def test_every_api_route_is_documented(schema):
    assert set(schema["paths"]) >= {
        "/api/creative/v1/hotrank/list",
        "/api/creative/v1/hotrank/region",
        "/api/creative/v1/video/{vid}",
        "/api/video/v1/videos",
        "/api/video/v1/videos/batch",
        "/api/video/v1/videos/{vid}",
        "/api/video/v1/videos/{vid}/stat",
        "/api/video/v1/stats/batch",
        "/api/hotrank/v1/hot/{oid}",
    }
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))


def test_success_is_the_envelope_around_the_data(schema):
    for path, method, operation in operations(schema):
        success = resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert set(success["properties"]) == {"code", "msg", "data"}, path
        assert set(success["required"]) == {"code", "msg", "data"}, path
        code = success["properties"]["code"]
        assert resolve(schema, code["allOf"][0] if "allOf" in code else code)["enum"] == [0], path
        data = resolve(schema, success["properties"]["data"])
        assert data.get("type") == "object" and data.get("properties"), (path, method, data)


def test_errors_are_documented_as_the_error_envelope(schema):
    for path, _, operation in operations(schema):
        statuses = set(operation["responses"])
        assert {"400", "429", "500", "503"} <= statuses, path
        if "{" in path:
            assert "404" in statuses, path
        for status, response in operation["responses"].items():
            if status == "200":
                continue
            error = resolve(schema, response["content"]["application/json"]["schema"])
            assert set(error["properties"]) == {"code", "msg", "data"}, (path, status)
            assert re.search(r"code \d+", response["description"]), (path, status)


def test_shapes_of_the_data(schema):
    def data_of(path):
        success = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return resolve(schema, resolve(schema, success)["properties"]["data"])

    ranking = data_of("/api/creative/v1/hotrank/list")
    assert set(ranking["properties"]) == {"list", "total", "next_cursor"}
    item = resolve(schema, ranking["properties"]["list"]["items"])
    assert set(item["properties"]) == {"oid", "hot", "rank", "title", "cover", "author", "view", "like",
                                       "region_id", "region_name", "pub_time"}
    assert data_of("/api/creative/v1/hotrank/region") == ranking
    assert set(data_of("/api/creative/v1/video/{vid}")["properties"]) == {"video"}
    assert set(data_of("/api/video/v1/videos/{vid}")["properties"]) == {"info"}
    assert set(data_of("/api/video/v1/videos/{vid}/stat")["properties"]) == {"stat"}
    infos = data_of("/api/video/v1/videos/batch")["properties"]["infos"]
    assert infos["type"] == "object" and "vid" in resolve(schema, infos["additionalProperties"])["properties"]
    stats = data_of("/api/video/v1/stats/batch")["properties"]["stats"]
    assert stats["type"] == "object" and "danmaku" in resolve(schema, stats["additionalProperties"])["properties"]
    assert set(data_of("/api/video/v1/videos")["properties"]) == {"list", "next_last_vid", "has_more"}
    assert set(data_of("/api/hotrank/v1/hot/{oid}")["properties"]) == {"oid", "business", "hot", "rank"}


def test_parameters_are_typed(schema):
    for path, _, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer" and parameter["schema"]["minimum"] == 1, path
    params = {p["name"]: p for p in schema["paths"]["/api/creative/v1/hotrank/region"]["get"]["parameters"]}
    assert params["region_id"]["required"] is True and params["region_id"]["schema"]["type"] == "integer"
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 100)
    assert params["limit"]["schema"]["default"] == 50
    assert params["offset"]["schema"]["minimum"] == 0


LOCAL = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)["']""")


def _assert_offline(html: str):
    urls = LOCAL.findall(html)
    assert urls
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), "the page loads something remote"
    for url in urls:
        assert url.startswith("/"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
    assert any(url.startswith("/static/") and url.endswith(".js") for url in urls)


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    _assert_offline(response.content.decode())
    assert '"/api/schema/"' in response.content.decode()


def test_redoc_view_is_served_from_local_static_files():
    response = RedocView.as_view(url_name="schema")(RequestFactory().get("/api/redoc/"))
    assert response.status_code == 200
    html = response.content.decode()
    _assert_offline(html)
    assert 'spec-url="/api/schema/"' in html


def test_redoc_route_is_served_from_local_static_files(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    _assert_offline(response.content.decode())

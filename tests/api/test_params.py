"""Parameters are integers written in digits within their range; anything else is 400 code 1002 naming it."""

import base64

import pytest

from tests.api.helpers import error, ok_data

pytestmark = pytest.mark.django_db

LIST = "/api/creative/v1/hotrank/list"
REGION = "/api/creative/v1/hotrank/region"


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=abc", "limit"),
        ("limit=1e2", "limit"),
        ("limit=1.5", "limit"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("limit=%201", "limit"),
        ("limit=0x10", "limit"),
        ("limit=99999999999999999999999999", "limit"),
        ("offset=1.5", "offset"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("offset=1e3", "offset"),
        ("offset=100001", "offset"),
        ("offset=9223372036854775807", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("cursor=abc", "cursor"),
        ("cursor=", "cursor"),
        (f"cursor={cursor_of('1:2')}", "cursor"),
        (f"cursor={cursor_of('1:0:5')}", "cursor"),
        (f"cursor={cursor_of('1:2:0')}", "cursor"),
        (f"cursor={cursor_of('1:99999999999999999999999:1')}", "cursor"),
        (f"cursor={cursor_of('99999999999999999999999:1:1')}", "cursor"),
        ("cursor=%E6%97%A5", "cursor"),
    ],
)
def test_bad_ranking_parameter(api, query, param):
    for route in (f"{LIST}?{query}", f"{REGION}?region_id=1&{query}"):
        msg = error(api.get(route), 400, 1002)
        assert msg.startswith(f"{param}:"), msg


@pytest.mark.parametrize(
    "query",
    ["", "region_id=", "region_id=abc", "region_id=1.5", "region_id=1e2", "region_id=-1", "region_id=2147483648",
     "offset=0"],
)
def test_region_id_is_required_and_integral(api, query):
    msg = error(api.get(f"{REGION}?{query}"), 400, 1002)
    assert msg.startswith("region_id:"), msg


def test_two_bad_parameters_are_both_named(api):
    msg = error(api.get(f"{REGION}?limit=abc&offset=-1"), 400, 1002)
    assert {"limit", "offset", "region_id"} <= {part.split(":")[0] for part in msg.split("; ")}


@pytest.mark.parametrize("query", ["", "limit=1", "limit=100", "offset=0", "offset=100000", "limit=50&offset=7"])
def test_good_ranking_parameters(api, query):
    ok_data(api.get(f"{LIST}?{query}"))
    ok_data(api.get(f"{REGION}?region_id=0&{query}"))


def test_offset_past_the_end_is_an_empty_page_with_the_total(api, make_video):
    for _ in range(3):
        make_video(region_id=4)
    page = ok_data(api.get(f"{LIST}?offset=3"))
    assert page == {"list": [], "total": 3, "next_cursor": None}
    page = ok_data(api.get(f"{REGION}?region_id=4&offset=100000&limit=100"))
    assert page == {"list": [], "total": 3, "next_cursor": None}


@pytest.mark.parametrize(
    "vids",
    ["", "abc", "1,abc", "1,,2", "0", "1,0", "-1", "1.5", "1e2", "99999999999999999999", "9223372036854775808",
     ",".join(str(i) for i in range(1, 102)), "1;2"],
)
def test_bad_vids(api, vids):
    for route in ("/api/video/v1/videos/batch", "/api/video/v1/stats/batch"):
        msg = error(api.get(route, {"vids": vids}), 400, 1002)
        assert msg.startswith("vids:"), msg


def test_vids_are_required(api):
    assert error(api.get("/api/video/v1/videos/batch"), 400, 1002).startswith("vids:")


@pytest.mark.parametrize("vids", ["1", "9223372036854775807", ",".join(str(i) for i in range(1, 101)), " 1 , 2 "])
def test_good_vids(api, vids):
    ok_data(api.get("/api/video/v1/videos/batch", {"vids": vids}))
    ok_data(api.get("/api/video/v1/stats/batch", {"vids": vids}))


@pytest.mark.parametrize(
    "vid", ["abc", "0", "-1", "1.5", "1e2", "99999999999999999999", "9223372036854775808", "%201", "+1"]
)
@pytest.mark.parametrize(
    "route", ["/api/creative/v1/video/{}", "/api/video/v1/videos/{}", "/api/video/v1/videos/{}/stat",
              "/api/hotrank/v1/hot/{}"],
)
def test_bad_vid_in_path(api, route, vid):
    name = "oid" if "hotrank" in route else "vid"
    msg = error(api.get(route.format(vid)), 400, 1002)
    assert msg.startswith(f"{name}:"), msg


def test_largest_vid_is_a_plain_not_found(api):
    error(api.get("/api/video/v1/videos/9223372036854775807"), 404, 10001)
    error(api.get("/api/hotrank/v1/hot/9223372036854775807"), 404, 11001)


@pytest.mark.parametrize(
    ("query", "param"),
    [("last_vid=-1", "last_vid"), ("last_vid=1.5", "last_vid"), ("last_vid=abc", "last_vid"),
     ("last_vid=99999999999999999999", "last_vid"), ("last_vid=9223372036854775808", "last_vid"),
     ("limit=0", "limit"), ("limit=101", "limit"), ("limit=1e2", "limit")],
)
def test_bad_video_list_parameter(api, query, param):
    msg = error(api.get(f"/api/video/v1/videos?{query}"), 400, 1002)
    assert msg.startswith(f"{param}:"), msg


def test_largest_last_vid_is_an_empty_page(api):
    assert ok_data(api.get("/api/video/v1/videos?last_vid=9223372036854775807")) == {
        "list": [], "next_last_vid": 9223372036854775807, "has_more": False,
    }


@pytest.mark.parametrize("business", ["0", "3", "abc", "1.0"])
def test_bad_business(api, make_video, business):
    video = make_video()
    assert error(api.get(f"/api/hotrank/v1/hot/{video.vid}?business={business}"), 400, 1002).startswith("business:")

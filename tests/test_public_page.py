"""The public ranking page at `/`: server-rendered top 50, global and per region."""

import re

import pytest

from hotrank.models import AcademyArchive
from hotrank.services import ranking_generation_bump
from mybili.views import compact_number

pytestmark = pytest.mark.django_db

@pytest.fixture
def ranked(make_video):
    """Videos with fixed hot scores: region 3 holds two of them, region 1 three, region 42 one."""

    def make(title, hot, region_id, **kwargs):
        video = make_video(title=title, region_id=region_id, **kwargs)
        AcademyArchive.objects.filter(oid=video.vid).update(hot=hot)
        return video

    make("third place", 70_000, 1, author_name="up three")
    make("first place", 1_234_567, 3, author_name="up one")
    make("fifth place", 9_999, 42)
    make("second place", 250_000, 1, author_name="up two")
    make("fourth place", 12_345, 3)
    make("removed from the pool", 10**9, 1, archive_state=1)
    make("deleted video", 10**9, 3, video_state=1)
    make("<b>escaped</b> & safe", 5, 1)


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<h2 class="title" title="[^"]*">([^<]*)</h2>', html)


def test_page_lists_the_global_ranking_in_order(client, ranked):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert titles_in_order(html) == [
        "first place", "second place", "third place", "fourth place", "fifth place",
        "&lt;b&gt;escaped&lt;/b&gt; &amp; safe",
    ]  # fmt: skip
    assert "removed from the pool" not in html and "deleted video" not in html
    # rank badges, the top three highlighted
    assert re.findall(r'<span class="rank( rank-\d)?"[^>]*>(\d+)</span>', html)[:4] == [
        (" rank-1", "1"), (" rank-2", "2"), (" rank-3", "3"), ("", "4"),
    ]  # fmt: skip
    # author, region and compact numbers
    assert "up one" in html and "123.5万" in html  # hot 1,234,567
    assert "9,999" in html
    assert '<span class="region">音乐</span>' in html and '<span class="region">区 42</span>' in html
    assert "共 6 个视频" in html


def test_page_has_a_tab_per_region_and_links_the_docs(client, ranked):
    html = client.get("/").content.decode()
    tabs = re.findall(r'<a href="/\?region=(\d+)"[^>]*>([^<]*)</a>', html)
    assert tabs == [("1", "动画"), ("3", "音乐"), ("42", "区 42")]
    assert '<a href="/" aria-current="page">全站</a>' in html
    assert 'href="/api/docs/"' in html


def test_cover_images_degrade_gracefully(client, ranked):
    html = client.get("/").content.decode()
    img = re.search(r"<img [^>]*>", html).group(0)
    assert 'loading="lazy"' in img and 'referrerpolicy="no-referrer"' in img and "onerror=" in img
    assert 'alt="first place"' in img
    assert '<div class="cover-alt" aria-hidden="true"><span>first place</span></div>' in html


def test_region_tab_shows_only_that_region(client, ranked):
    response = client.get("/", {"region": "3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert titles_in_order(html) == ["first place", "fourth place"]
    assert '<a href="/?region=3" aria-current="page">音乐</a>' in html
    assert "共 2 个视频" in html
    assert 'class="notice"' not in html


def test_unknown_region_id_gets_a_generic_name(client, ranked):
    html = client.get("/?region=42").content.decode()
    assert titles_in_order(html) == ["fifth place"]
    assert '<a href="/?region=42" aria-current="page">区 42</a>' in html


def test_region_without_videos_renders_its_empty_state(client, ranked):
    response = client.get("/?region=160")
    assert response.status_code == 200
    html = response.content.decode()
    assert titles_in_order(html) == []
    assert "生活 暂无上榜视频" in html
    assert '<a href="/?region=160" aria-current="page">生活</a>' in html  # the selected tab stays visible


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "3 ", "0x3", "99999999999999999999", "2147483648", "３"])
def test_bad_region_param_shows_the_global_list_with_a_notice(client, ranked, bad):
    response = client.get("/", {"region": bad})
    assert response.status_code == 200
    html = response.content.decode()
    assert titles_in_order(html)[:2] == ["first place", "second place"]
    assert 'class="notice"' in html and "无效" in html
    assert '<a href="/" aria-current="page">全站</a>' in html


def test_empty_region_param_is_the_global_list(client, ranked):
    html = client.get("/?region=").content.decode()
    assert titles_in_order(html)[0] == "first place"
    assert 'class="notice"' not in html


def test_empty_database_renders_the_empty_state(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert titles_in_order(html) == []
    assert "还没有上榜的视频" in html
    assert "共 0 个视频" in html


def test_page_is_capped_at_50(client, make_video):
    for i in range(55):
        video = make_video(title=f"v{i}")
        AcademyArchive.objects.filter(oid=video.vid).update(hot=1000 - i)
    html = client.get("/").content.decode()
    assert titles_in_order(html) == [f"v{i}" for i in range(50)]
    assert "共 55 个视频" in html


def test_a_warm_page_makes_no_database_query(client, ranked, django_assert_num_queries):
    client.get("/?region=3")
    with django_assert_num_queries(0):
        html = client.get("/?region=3").content.decode()
    assert titles_in_order(html) == ["first place", "fourth place"]


def test_a_new_generation_shows_new_regions(client, ranked, make_video):
    client.get("/")
    video = make_video(title="new region's video", region_id=217)
    AcademyArchive.objects.filter(oid=video.vid).update(hot=1)
    assert "动物圈" not in client.get("/").content.decode()  # the same generation: its cached page and tabs
    ranking_generation_bump()  # what a recompute that changed scores does
    html = client.get("/").content.decode()
    assert '<a href="/?region=217">动物圈</a>' in html and "new region&#x27;s video" in html


def test_only_get(client):
    assert client.post("/").status_code == 405


@pytest.mark.parametrize(
    "n, text",
    [(0, "0"), (9_999, "9,999"), (10_000, "1万"), (12_345, "1.2万"), (1_005_000, "100.5万"),
     (99_999_999, "1亿"), (123_456_789, "1.2亿")],
)  # fmt: skip
def test_compact_number(n, text):
    assert compact_number(n) == text

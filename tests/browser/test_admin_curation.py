"""Admin curation in a real browser: an operator removes a video from the ranking with the archives
admin's "Remove from the ranking" action, and the ranking API served by the same server drops it."""

import pytest
from django.urls import reverse

from hotrank.models import AcademyArchive, ArchiveState
from videos.models import Region

# live_server runs the test transactionally: the rows data migrations create (regions, the
# operators group, the schedules) are flushed after any earlier transactional test, so the test
# makes what it needs itself.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_ARCHIVES = reverse("admin:hotrank_academyarchive_changelist")
RANKING_API = "/api/creative/v1/hotrank/list"
PASSWORD = "browser-test-only"  # noqa: S105 - a throwaway user in the test database


@pytest.fixture
def ranked(make_video):
    """Three ranked videos with fixed scores, no cover URLs (the page reaches the live server only)."""
    for region_id, name in ((1, "动画"), (3, "音乐")):  # present only if no transactional test ran before
        Region.objects.update_or_create(id=region_id, defaults={"name": name})
    videos = {}
    for title, hot, region_id in (("keep me first", 90_000, 1), ("remove me", 50_000, 3),
                                  ("keep me third", 10_000, 1)):  # fmt: skip
        video = make_video(title=title, region_id=region_id, cover="", author_name=f"up of {title}")
        AcademyArchive.objects.filter(oid=video.vid).update(hot=hot)
        videos[title] = video
    return videos


def ranking(page) -> dict:
    response = page.request.get(RANKING_API, params={"limit": 50})
    assert response.status == 200, response.text()
    body = response.json()
    assert body["code"] == 0, body
    return body["data"]


def test_removing_a_video_in_the_admin_takes_it_out_of_the_ranking(
    page, live_server, ranked, django_user_model, artifacts
):
    django_user_model.objects.create_superuser("browser-admin", "admin@example.com", PASSWORD)
    target = ranked["remove me"]
    archive = AcademyArchive.objects.get(oid=target.vid)

    before = ranking(page)
    assert [item["oid"] for item in before["list"]] == [v.vid for v in ranked.values()]
    assert before["total"] == 3

    # log in through the admin's own form
    page.goto(f"/admin/login/?next={ADMIN_ARCHIVES}")
    page.fill("#id_username", "browser-admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**{ADMIN_ARCHIVES}")
    assert page.locator("#result_list").is_visible()

    # select the row, choose the action, Go
    page.check(f'#result_list input.action-select[value="{archive.pk}"]')
    page.select_option("select[name=action]", label="Remove from the ranking")
    page.click('button[name="index"]')
    page.wait_for_url(f"**{ADMIN_ARCHIVES}")
    success = page.locator("ul.messagelist li.success")
    assert success.inner_text().strip() == "1 archive(s) removed from the ranking."
    page.screenshot(path=artifacts / "admin-archives.png", full_page=True)

    archive.refresh_from_db()
    assert archive.state == ArchiveState.REMOVED

    after = ranking(page)
    assert [item["oid"] for item in after["list"]] == [ranked["keep me first"].vid, ranked["keep me third"].vid]
    assert [item["rank"] for item in after["list"]] == [1, 2]
    assert after["total"] == 2

    # the public page at / agrees
    page.goto("/")
    titles = page.locator("h2.title").all_inner_texts()
    assert titles == ["keep me first", "keep me third"]
    page.screenshot(path=artifacts / "ranking.png", full_page=True)

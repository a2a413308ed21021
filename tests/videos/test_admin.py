"""The video admin: changelist (annotated hot and rank, filters, search), curation actions, edits, regions,
the operators group and the demo admin command."""

import time

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hotrank.formula import hot_score
from hotrank.models import AcademyArchive, ArchiveState, DirtyArchive, RecomputeRun, RunMode
from hotrank.selectors import ranking_generation
from videos.models import Region, VideoInfo, VideoStat
from videos.selectors import region_names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

URL = reverse("admin:videos_videoinfo_changelist")
DAY = 86400
SEEDED_REGIONS = {
    1: "动画", 3: "音乐", 4: "游戏", 5: "娱乐", 36: "知识", 119: "鬼畜",
    155: "时尚", 160: "生活", 181: "影视", 188: "科技", 211: "美食", 217: "动物圈",
}  # fmt: skip
OPERATOR_PERMISSIONS = {
    "videos.view_videoinfo", "videos.change_videoinfo", "videos.view_videostat", "videos.change_videostat",
    "videos.view_region", "videos.change_region",
    "hotrank.view_academyarchive", "hotrank.change_academyarchive", "hotrank.add_academyarchive",
    "hotrank.view_recomputerun", "hotrank.view_dirtyarchive", "hotrank.run_recompute",
}  # fmt: skip


def act(client, action, videos, url=URL):
    return client.post(url, {"action": action, "_selected_action": [str(v.pk) for v in videos]})


def notes(response) -> list[str]:
    """The messages this request added (earlier unread ones stay out)."""
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


def listed(response) -> list[int]:
    return [row.vid for row in response.context["cl"].result_list]


def history(obj, flag=CHANGE) -> list[str]:
    ct = ContentType.objects.get_for_model(obj)
    return list(
        LogEntry.objects.filter(content_type=ct, object_id=str(obj.pk), action_flag=flag)
        .order_by("id")
        .values_list("change_message", flat=True)
    )


# --- changelist ---------------------------------------------------------------------------------


def test_changelist_shows_hot_rank_region_and_a_readable_date(admin_client, make_video):
    videos = [make_video(region_id=36, pub_time=1_700_000_000) for _ in range(4)]
    hots = [500, 900, 900, 100]
    for video, hot in zip(videos, hots, strict=True):
        AcademyArchive.objects.filter(oid=video.vid).update(hot=hot)
    outside = make_video(in_pool=False, region_id=99)

    response = admin_client.get(URL)
    assert response.status_code == 200
    rows = {row.vid: row for row in response.context["cl"].result_list}
    # hot desc, id desc: the two 900s (later id first), then 500, then 100
    assert [rows[v.vid].rank for v in videos] == [3, 2, 1, 4]
    assert [rows[v.vid].archive_hot for v in videos] == hots
    assert rows[outside.vid].rank is None and rows[outside.vid].archive_hot is None
    html = response.content.decode()
    assert "知识" in html and "#99" in html
    assert "2023-11-14 22:13" in html  # 1_700_000_000 in UTC
    assert 'referrerpolicy="no-referrer"' in html  # the cover thumbnail


def test_rank_leaves_out_deleted_videos_and_removed_archives(admin_client, make_video):
    top = make_video()
    gone = make_video(video_state=1)
    removed = make_video(archive_state=ArchiveState.REMOVED)
    last = make_video()
    for video, hot in ((top, 50), (gone, 40), (removed, 30), (last, 10)):
        AcademyArchive.objects.filter(oid=video.vid).update(hot=hot)
    rows = {row.vid: row for row in admin_client.get(URL).context["cl"].result_list}
    assert (rows[top.vid].rank, rows[last.vid].rank) == (1, 2)
    assert rows[gone.vid].rank is None and rows[removed.vid].rank is None


def test_changelist_costs_a_constant_number_of_queries(admin_client, make_video, django_assert_max_num_queries):
    for _ in range(3):
        make_video()
    admin_client.get(URL)  # region names cached from here on
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(URL).status_code == 200
    for i in range(40):
        make_video(in_pool=i % 3 != 0, region_id=[1, 36, 119][i % 3])
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(URL).status_code == 200
    assert len(many) == len(few)
    with django_assert_max_num_queries(8):
        admin_client.get(URL, {"region": "36", "in_ranking": "yes", "published": "older", "q": "video"})


def test_change_page_shows_the_ranking_and_the_stat(admin_client, make_video):
    video = make_video(stats={"view": 1234, "coin": 5})
    response = admin_client.get(reverse("admin:videos_videoinfo_change", args=[video.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "view 1,234" in html and "coin 5" in html
    stat = VideoStat.objects.get(vid=video.vid)
    assert reverse("admin:videos_videostat_change", args=[stat.pk]) in html
    archive = AcademyArchive.objects.get(oid=video.vid)
    assert reverse("admin:hotrank_academyarchive_change", args=[archive.pk]) in html

    bare = make_video(with_stat=False, in_pool=False)
    html = admin_client.get(reverse("admin:videos_videoinfo_change", args=[bare.pk])).content.decode()
    assert "Not in the ranking pool." in html and f"?vid={bare.vid}" in html


# --- filters and search -------------------------------------------------------------------------


def test_published_filter(admin_client, make_video):
    now = int(time.time())
    day = make_video(pub_time=now - 3600)
    week = make_video(pub_time=now - 3 * DAY)
    older = make_video(pub_time=now - 30 * DAY)
    assert set(listed(admin_client.get(URL, {"published": "day"}))) == {day.vid}
    assert set(listed(admin_client.get(URL, {"published": "week"}))) == {day.vid, week.vid}
    assert set(listed(admin_client.get(URL, {"published": "older"}))) == {older.vid}


def test_region_state_and_in_ranking_filters(admin_client, make_video):
    knowledge = make_video(region_id=36)
    music = make_video(region_id=3, in_pool=False)
    removed = make_video(region_id=3, archive_state=ArchiveState.REMOVED)
    deleted = make_video(region_id=3, video_state=1)
    assert listed(admin_client.get(URL, {"region": "36"})) == [knowledge.vid]
    assert listed(admin_client.get(URL, {"region": "abc"})) == []
    assert set(listed(admin_client.get(URL, {"in_ranking": "yes"}))) == {knowledge.vid, deleted.vid}
    assert set(listed(admin_client.get(URL, {"in_ranking": "no"}))) == {music.vid, removed.vid}
    assert listed(admin_client.get(URL, {"state__exact": "1"})) == [deleted.vid]
    html = admin_client.get(URL).content.decode()
    assert "知识 (36)" in html  # the region filter names the regions


def test_search_by_vid_title_and_author(admin_client, make_video):
    target = make_video(vid=777_001, title="雪山 timelapse", author_name="Peak Studio")
    make_video(title="something else", author_name="someone")
    assert listed(admin_client.get(URL, {"q": "777001"})) == [target.vid]
    assert listed(admin_client.get(URL, {"q": "timelapse"})) == [target.vid]
    assert listed(admin_client.get(URL, {"q": "Peak"})) == [target.vid]
    assert admin_client.get(URL, {"q": "not-a-number"}).status_code == 200


# --- actions ------------------------------------------------------------------------------------


def test_add_to_ranking_creates_the_archive_from_the_video_and_scores_it(admin_client, make_video,
                                                                         django_capture_on_commit_callbacks):
    stats = {"view": 1000, "like_count": 100, "coin": 10, "fav": 20, "share": 5, "reply": 7, "danmaku": 30}
    video = make_video(in_pool=False, stats=stats, region_id=36, pub_time=1_700_000_000)
    # The test runs inside a transaction, so the service scores once it commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "add_to_ranking", [video])
    assert response.status_code == 302
    archive = AcademyArchive.objects.get(oid=video.vid)
    assert (archive.state, archive.region_id, archive.pub_time, archive.business) == (0, 36, 1_700_000_000, 1)
    run = RecomputeRun.objects.get(mode=RunMode.SELECTED)
    assert run.status == "succeeded" and run.scanned == 1
    expected = hot_score(view=1000, like=100, coin=10, fav=20, share=5, reply=7, danmaku=30,
                         pub_time=1_700_000_000, now=run.now_ts)  # fmt: skip
    assert archive.hot == expected > 0
    assert history(video) == ["Added to the ranking (archive created)."]
    assert any("1 added" in note and "scored once this change commits" in note for note in notes(response))


def test_add_to_ranking_restores_a_removed_archive_and_skips_deleted_videos(admin_client, make_video):
    removed = make_video(archive_state=ArchiveState.REMOVED, region_id=1)
    VideoInfo.objects.filter(vid=removed.vid).update(region_id=36)  # the video moved while out of the pool
    deleted = make_video(in_pool=False, video_state=1)
    present = make_video()
    response = act(admin_client, "add_to_ranking", [removed, deleted, present])
    archive = AcademyArchive.objects.get(oid=removed.vid)
    assert (archive.state, archive.region_id) == (ArchiveState.NORMAL, 36)
    assert DirtyArchive.objects.filter(oid=removed.vid).exists()
    assert not AcademyArchive.objects.filter(oid=deleted.vid).exists()
    assert history(removed) == ["Put back in the ranking (archive restored)."]
    assert history(deleted) == [] and history(present) == []
    (note,) = notes(response)
    assert "0 added, 1 restored, 1 already in the ranking, 1 skipped" in note


def test_remove_from_ranking(admin_client, make_video, django_capture_on_commit_callbacks):
    video, other = make_video(), make_video()
    gen = ranking_generation()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "remove_from_ranking", [video])
    assert AcademyArchive.objects.get(oid=video.vid).state == ArchiveState.REMOVED
    assert AcademyArchive.objects.get(oid=other.vid).state == ArchiveState.NORMAL
    assert ranking_generation() != gen
    assert history(video) == ["Removed from the ranking."]
    assert notes(response) == ["1 video(s) removed from the ranking."]


def test_mark_deleted_and_restore(admin_client, make_video, django_capture_on_commit_callbacks):
    video, already = make_video(), make_video(video_state=1)
    gen = ranking_generation()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "mark_deleted", [video, already])
    assert VideoInfo.objects.get(pk=video.pk).state == 1
    assert ranking_generation() != gen  # cached ranking pages drop it at once
    assert notes(response) == ["1 video(s) marked deleted."]
    assert history(video) == ["Marked deleted."] and history(already) == []

    response = act(admin_client, "restore", [video, already])
    assert VideoInfo.objects.filter(pk__in=[video.pk, already.pk], state=0).count() == 2
    assert notes(response) == ["2 video(s) restored."]
    assert history(video) == ["Marked deleted.", "Restored (state normal)."]


# --- edits --------------------------------------------------------------------------------------


def _form_data(video, **changes):
    data = {name: getattr(video, name) for name in
            ("title", "cover", "author_id", "author_name", "region_id", "pub_time", "duration", "description",
             "state")}  # fmt: skip
    return {**data, **changes, "_save": "Save"}


def test_editing_region_and_pub_time_carries_them_to_the_archive(admin_client, make_video):
    video = make_video(region_id=1, pub_time=1_700_000_000)
    url = reverse("admin:videos_videoinfo_change", args=[video.pk])
    response = admin_client.post(url, _form_data(video, region_id=36, pub_time=1_700_086_400))
    assert response.status_code == 302, response.context["adminform"].form.errors
    archive = AcademyArchive.objects.get(oid=video.vid)
    assert (archive.region_id, archive.pub_time) == (36, 1_700_086_400)
    assert DirtyArchive.objects.filter(oid=video.vid).count() == 1
    (message,) = history(video)
    assert "Region id" in LogEntry.objects.get(change_message=message).get_change_message()


def test_editing_the_title_only_leaves_the_archive_alone(admin_client, make_video):
    video = make_video(region_id=1)
    admin_client.post(reverse("admin:videos_videoinfo_change", args=[video.pk]), _form_data(video, title="renamed"))
    assert VideoInfo.objects.get(pk=video.pk).title == "renamed"
    assert not DirtyArchive.objects.exists()


def test_vid_is_read_only_on_the_change_form(admin_client, make_video):
    video = make_video()
    url = reverse("admin:videos_videoinfo_change", args=[video.pk])
    admin_client.post(url, {**_form_data(video), "vid": 1})
    assert VideoInfo.objects.get(pk=video.pk).vid == video.vid


def test_stat_edit_marks_the_archive_dirty(admin_client, make_video):
    video = make_video(stats={"view": 1})
    stat = VideoStat.objects.get(vid=video.vid)
    url = reverse("admin:videos_videostat_change", args=[stat.pk])
    data = {"view": 99, "like_count": 0, "coin": 0, "fav": 0, "share": 0, "reply": 0, "danmaku": 0, "_save": "Save"}
    assert admin_client.post(url, data).status_code == 302
    assert VideoStat.objects.get(pk=stat.pk).view == 99
    assert DirtyArchive.objects.filter(oid=video.vid).exists()
    assert history(stat)


def test_stat_add_form_is_prefilled_and_rejects_unknown_vids(admin_client, make_video):
    video = make_video(with_stat=False)
    url = reverse("admin:videos_videostat_add")
    assert f'value="{video.vid}"' in admin_client.get(url, {"vid": video.vid}).content.decode()
    data = {"vid": 424242, "view": 1, "like_count": 0, "coin": 0, "fav": 0, "share": 0, "reply": 0, "danmaku": 0}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "No video has this vid." in response.content.decode()


# --- regions ------------------------------------------------------------------------------------


def test_regions_are_seeded_by_the_migration():
    assert region_names() == SEEDED_REGIONS
    assert dict(Region.objects.values_list("id", "name")) == SEEDED_REGIONS


def test_renaming_a_region_reaches_region_names_on_commit(admin_client, django_capture_on_commit_callbacks):
    assert region_names()[36] == "知识"  # cached now
    url = reverse("admin:videos_region_change", args=[36])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"name": "知识区", "_save": "Save"})
    assert response.status_code == 302
    assert region_names()[36] == "知识区"
    assert history(Region.objects.get(pk=36))


def test_adding_and_deleting_a_region(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:videos_region_add"), {"id": 13, "name": "番剧", "_save": "Save"})
    assert region_names()[13] == "番剧"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:videos_region_delete", args=[13]), {"post": "yes"})
    assert 13 not in region_names()


def test_the_video_form_offers_region_names(admin_client, make_video):
    video = make_video(region_id=2)  # no region row
    html = admin_client.get(reverse("admin:videos_videoinfo_change", args=[video.pk])).content.decode()
    assert "知识 (36)" in html and "#2 (no region row)" in html


# --- access -------------------------------------------------------------------------------------


def test_operators_group_has_exactly_the_curation_permissions():
    group = Group.objects.get(name="operators")
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == OPERATOR_PERMISSIONS


def test_operators_can_curate(operator_client, make_video):
    video = make_video(in_pool=False)
    assert operator_client.get(URL).status_code == 200
    act(operator_client, "add_to_ranking", [video])
    assert AcademyArchive.objects.filter(oid=video.vid, state=0).exists()
    act(operator_client, "mark_deleted", [video])
    assert VideoInfo.objects.get(pk=video.pk).state == 1


def test_staff_outside_operators_cannot_curate(viewer_client, make_video):
    video = make_video(in_pool=False)
    response = viewer_client.get(URL)
    assert response.status_code == 200  # they may look
    assert response.context["action_form"] is None  # no action is offered at all
    for action in ("add_to_ranking", "mark_deleted"):
        act(viewer_client, action, [video])
    assert not AcademyArchive.objects.filter(oid=video.vid).exists()
    assert VideoInfo.objects.get(pk=video.pk).state == 0
    assert not LogEntry.objects.exists()
    url = reverse("admin:videos_videoinfo_change", args=[video.pk])
    viewer_client.post(url, _form_data(video, title="nope"))
    assert VideoInfo.objects.get(pk=video.pk).title != "nope"


def test_staff_without_permissions_see_nothing(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="not-used", is_staff=True)
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_nobody_hard_deletes_videos(admin_client, make_video):
    video = make_video()
    offered = {name for name, _ in admin_client.get(URL).context["action_form"].fields["action"].choices}
    assert "delete_selected" not in offered
    admin_client.post(reverse("admin:videos_videoinfo_delete", args=[video.pk]), {"post": "yes"})
    assert VideoInfo.objects.filter(pk=video.pk).exists()


# --- the demo admin -----------------------------------------------------------------------------


def test_ensure_demo_admin_refuses_outside_debug(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("ensure_demo_admin")
    assert not django_user_model.objects.filter(username="admin").exists()


def test_ensure_demo_admin_creates_then_resets(settings, capsys, django_user_model):
    settings.DEBUG = True
    call_command("ensure_demo_admin")
    first = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    user = authenticate(username="admin", password=first)
    assert user is not None and user.is_superuser and user.is_staff
    call_command("ensure_demo_admin")
    out = capsys.readouterr().out
    second = out.strip().rsplit(" ", 1)[-1]
    assert "password reset" in out and second != first
    assert authenticate(username="admin", password=first) is None
    assert authenticate(username="admin", password=second) is not None
    assert django_user_model.objects.filter(username="admin").count() == 1


def test_adding_an_archive_through_its_form_is_logged_as_an_addition(admin_client, make_video):
    video = make_video(in_pool=False, region_id=119)
    response = admin_client.post(reverse("admin:hotrank_academyarchive_add"),
                                 {"oid": video.vid, "comment": "editor's pick", "_save": "Save"})  # fmt: skip
    assert response.status_code == 302
    archive = AcademyArchive.objects.get(oid=video.vid)
    assert (archive.region_id, archive.comment) == (119, "editor's pick")
    assert LogEntry.objects.filter(object_id=str(archive.pk), action_flag=ADDITION).exists()

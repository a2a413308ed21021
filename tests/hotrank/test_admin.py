"""The ranking pool, runs and dashboard admin: rank order, curation actions, the comment, the run button,
the runs chart and the index dashboard."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from hotrank.models import AcademyArchive, ArchiveState, DirtyArchive, RecomputeRun, RunMode, RunStatus
from hotrank.services import archives_rescore, hot_recompute, hot_recompute_incremental, recompute_run_start
from tests.factories import NOW
from videos.models import VideoStat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

URL = reverse("admin:hotrank_academyarchive_changelist")
RUNS = reverse("admin:hotrank_recomputerun_changelist")
RUN_FULL = reverse("admin:hotrank_recomputerun_run_full")
INDEX = reverse("admin:index")


def act(client, action, archives, url=URL):
    return client.post(url, {"action": action, "_selected_action": [str(a.pk) for a in archives]})


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


def history(obj) -> list[str]:
    ct = ContentType.objects.get_for_model(obj)
    return list(
        LogEntry.objects.filter(content_type=ct, object_id=str(obj.pk), action_flag=CHANGE)
        .order_by("id")
        .values_list("change_message", flat=True)
    )


@pytest.fixture
def pool(make_video):
    """Five archives with distinct hots (one tie), returned in ranking order."""
    archives = []
    for hot in (10, 70, 30, 70, 50):
        video = make_video(region_id=36 if hot == 70 else 1)
        archive = AcademyArchive.objects.get(oid=video.vid)
        archive.hot = hot
        archive.save(update_fields=["hot"])
        archives.append(archive)
    return sorted(archives, key=lambda a: (-a.hot, -a.id))


# --- the ranking pool -----------------------------------------------------------------------------


def test_changelist_is_in_rank_order_with_titles_linking_to_the_video(admin_client, pool):
    response = admin_client.get(URL)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [r.pk for r in rows] == [a.pk for a in pool]
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5]
    html = response.content.decode()
    assert reverse("admin:videos_videoinfo_change", args=[rows[0].video_pk]) in html
    assert rows[0].video_title in html and "知识" in html


def test_removed_archives_and_deleted_videos_have_no_rank(admin_client, make_video):
    removed = make_video(archive_state=ArchiveState.REMOVED)
    deleted = make_video(video_state=1)
    kept = make_video()
    rows = {r.oid: r for r in admin_client.get(URL).context["cl"].result_list}
    assert rows[removed.vid].rank is None and rows[deleted.vid].rank is None
    assert rows[kept.vid].rank == 1
    assert "(deleted)" in admin_client.get(URL).content.decode()


def test_ranks_deeper_than_the_cap_read_as_beyond_it(admin_client, pool, monkeypatch):
    from hotrank import selectors

    monkeypatch.setattr(selectors, "RANK_CAP", 2)
    response = admin_client.get(URL)
    assert [r.rank for r in response.context["cl"].result_list] == [1, 2, 3, 3, 3]
    assert response.content.decode().count("&gt; 2") == 3


def test_changelist_costs_a_constant_number_of_queries(admin_client, make_video, django_assert_max_num_queries):
    for _ in range(3):
        make_video()
    admin_client.get(URL)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(URL)
    for i in range(40):
        make_video(region_id=[1, 36][i % 2], archive_state=i % 7 == 0)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(URL)
    assert len(many) == len(few)
    with django_assert_max_num_queries(8):
        assert admin_client.get(URL, {"state__exact": "0", "region": "36", "video": "normal"}).status_code == 200


def test_filters_and_title_search(admin_client, make_video):
    normal = make_video(region_id=36, title="深夜食堂 vlog")
    removed = make_video(region_id=1, archive_state=ArchiveState.REMOVED)
    gone = make_video(region_id=1, video_state=1)
    orphan = make_video(in_pool=False)
    AcademyArchive.objects.create(oid=99_999_999, region_id=1)  # a plain-SQL style row with no video

    def oids(**params):
        return {r.oid for r in admin_client.get(URL, params).context["cl"].result_list}

    assert oids(state__exact="1") == {removed.vid}
    assert oids(video="gone") == {gone.vid, 99_999_999}
    assert oids(region="36") == {normal.vid}
    assert oids(q="深夜食堂") == {normal.vid}
    assert oids(q=str(removed.vid)) == {removed.vid}
    assert orphan.vid not in oids()
    assert "missing video 99999999" in admin_client.get(URL).content.decode()


def test_remove_and_restore(admin_client, pool, django_capture_on_commit_callbacks):
    first = pool[0]
    response = act(admin_client, "remove", [first])
    assert AcademyArchive.objects.get(pk=first.pk).state == ArchiveState.REMOVED
    assert notes(response) == ["1 archive(s) removed from the ranking."]
    assert history(first) == ["Removed from the ranking."]
    assert admin_client.get(URL).context["cl"].result_list[1].rank == 1  # the next one moved up

    response = act(admin_client, "restore", [first, pool[1]])
    assert AcademyArchive.objects.get(pk=first.pk).state == ArchiveState.NORMAL
    assert DirtyArchive.objects.filter(oid=first.oid).exists()
    assert notes(response) == ["1 archive(s) restored to the ranking."]
    assert history(first)[-1].startswith("Put back in the ranking")
    assert history(pool[1]) == []


def test_recompute_the_selected_now(admin_client, pool):
    target, other = pool[0], pool[1]
    VideoStat.objects.filter(vid=target.oid).update(view=4_000_000)
    VideoStat.objects.filter(vid=other.oid).update(view=4_000_000)
    response = act(admin_client, "rescore_now", [target])
    run = RecomputeRun.objects.get()
    assert (run.mode, run.status, run.scanned, run.updated) == (RunMode.SELECTED, RunStatus.SUCCEEDED, 1, 1)
    new_hot = AcademyArchive.objects.get(pk=target.pk).hot
    assert new_hot > 1_000_000
    assert AcademyArchive.objects.get(pk=other.pk).hot == other.hot  # not selected: untouched
    assert notes(response) == [f"Run {run.pk}: 1 archive(s) recomputed, 1 score(s) changed."]
    assert history(target) == [f"Recomputed now (run {run.pk}): hot {target.hot} → {new_hot}."]


def test_recompute_now_waits_for_a_running_pass(admin_client, pool):
    running = recompute_run_start(business=1)
    VideoStat.objects.filter(vid=pool[0].oid).update(view=4_000_000)
    response = act(admin_client, "rescore_now", [pool[0]])
    assert "already running" in notes(response)[0]
    assert AcademyArchive.objects.get(pk=pool[0].pk).hot == pool[0].hot
    assert RecomputeRun.objects.get().pk == running.pk


def test_a_selected_run_is_not_the_base_of_the_next_incremental_pass(make_video):
    """The incremental pass rescores boost windows since the previous *whole* run, not since a selected one."""
    other = AcademyArchive.objects.get(oid=make_video(stats={"view": 10}).vid)
    boosted = make_video(stats={"view": 1000}, pub_time=NOW + 100)  # its boost begins in (NOW + 10, NOW + 200]
    archive = AcademyArchive.objects.get(oid=boosted.vid)
    hot_recompute(now=NOW + 10)  # a whole run that sees it (future: no boost, score w // 100)
    unboosted = AcademyArchive.objects.get(pk=archive.pk).hot
    archives_rescore(archive_ids=[other.pk], now=NOW + 150)  # the operator rescored another archive
    run = hot_recompute_incremental(now=NOW + 200)
    assert run.mode == RunMode.INCREMENTAL
    assert AcademyArchive.objects.get(pk=archive.pk).hot == unboosted * 3 // 2


def test_comment_is_list_editable_and_keeps_a_concurrent_score(admin_client, pool):
    first = pool[0]
    page = admin_client.get(URL)
    form = page.context["cl"].formset
    data = {
        "form-TOTAL_FORMS": str(form.total_form_count()), "form-INITIAL_FORMS": str(form.initial_form_count()),
        "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000", "_save": "Save",
    }  # fmt: skip
    for i, archive in enumerate(page.context["cl"].result_list):
        data[f"form-{i}-id"] = str(archive.pk)
        data[f"form-{i}-comment"] = "pinned by the editors" if archive.pk == first.pk else archive.comment
    AcademyArchive.objects.filter(pk=first.pk).update(hot=12345)  # a recompute wrote meanwhile
    response = admin_client.post(URL, data)
    assert response.status_code == 302
    saved = AcademyArchive.objects.get(pk=first.pk)
    assert (saved.comment, saved.hot) == ("pinned by the editors", 12345)
    assert LogEntry.objects.filter(object_id=str(first.pk), action_flag=CHANGE).exists()


def test_change_form_edits_only_the_comment(admin_client, pool):
    first = pool[0]
    url = reverse("admin:hotrank_academyarchive_change", args=[first.pk])
    response = admin_client.post(url, {"comment": "note", "hot": 1, "state": 1, "oid": 5, "_save": "Save"})
    assert response.status_code == 302
    saved = AcademyArchive.objects.get(pk=first.pk)
    assert (saved.comment, saved.hot, saved.state, saved.oid) == ("note", first.hot, 0, first.oid)


def test_add_form_requires_a_normal_video(admin_client, make_video):
    deleted = make_video(in_pool=False, video_state=1)
    response = admin_client.post(reverse("admin:hotrank_academyarchive_add"), {"oid": deleted.vid, "comment": ""})
    assert response.status_code == 200 and "No normal (not deleted) video has this vid." in response.content.decode()
    assert not AcademyArchive.objects.filter(oid=deleted.vid).exists()


def test_staff_outside_operators_cannot_curate_the_pool(viewer_client, pool):
    response = viewer_client.get(URL)
    assert response.status_code == 200 and response.context["action_form"] is None
    for action in ("remove", "rescore_now"):
        act(viewer_client, action, pool)
    assert AcademyArchive.objects.filter(state=ArchiveState.NORMAL).count() == len(pool)
    assert not RecomputeRun.objects.exists() and not LogEntry.objects.exists()


def test_operators_can_curate_the_pool(operator_client, pool):
    offered = {name for name, _ in operator_client.get(URL).context["action_form"].fields["action"].choices}
    assert {"remove", "restore", "rescore_now"} <= offered and "delete_selected" not in offered
    act(operator_client, "remove", pool[:2])
    act(operator_client, "rescore_now", pool[2:])
    assert AcademyArchive.objects.filter(state=ArchiveState.REMOVED).count() == 2
    assert RecomputeRun.objects.filter(mode=RunMode.SELECTED).count() == 1


# --- runs -----------------------------------------------------------------------------------------


def _finished_run(**fields):
    start = timezone.now() - timezone.timedelta(minutes=5)
    defaults = {"now_ts": NOW, "status": RunStatus.SUCCEEDED, "started_at": start, "heartbeat_at": start,
                "finished_at": start + timezone.timedelta(seconds=3), "scanned": 100, "updated": 40}  # fmt: skip
    return RecomputeRun.objects.create(**(defaults | fields))


def test_runs_changelist_draws_a_chart_of_recent_runs(admin_client, django_assert_max_num_queries):
    for i in range(5):
        _finished_run(updated=10 * i, status=RunStatus.FAILED if i == 3 else RunStatus.SUCCEEDED)
    with django_assert_max_num_queries(10):
        response = admin_client.get(RUNS)
    html = response.content.decode()
    assert response.status_code == 200
    chart = html[html.index('class="runs-chart"'):html.index('id="changelist-search"')]
    assert chart.count("<svg") == 2 and chart.count("<rect") == 10
    assert "3.00 s" in html and "40 updated" in html and "#ba2121" in html  # a failed run's bar
    assert "cdn" not in html.lower() and "Run full recompute now" in html


def test_run_button_queues_a_full_recompute(operator_client):
    before = OrmQ.objects.count()
    response = operator_client.post(RUN_FULL)
    assert response.status_code == 302 and response["Location"] == RUNS
    assert OrmQ.objects.count() == before + 1
    task = OrmQ.objects.order_by("-id").first().task
    assert task["func"] == "hotrank.tasks.recompute_full" and task["args"] == (1,)
    assert "Full recompute queued" in notes(response)[0]


def test_run_button_runs_the_task_in_sync_mode(admin_client, make_video, monkeypatch):
    make_video(stats={"view": 1000})
    monkeypatch.setattr(Conf, "SYNC", True)
    admin_client.post(RUN_FULL)
    run = RecomputeRun.objects.get()
    assert (run.mode, run.status, run.scanned) == (RunMode.FULL, RunStatus.SUCCEEDED, 1)


def test_run_button_needs_post_and_the_permission(viewer_client, admin_client):
    assert admin_client.get(RUN_FULL).status_code == 405
    assert viewer_client.post(RUN_FULL).status_code == 403
    assert "Run full recompute now" not in viewer_client.get(RUNS).content.decode()
    assert not OrmQ.objects.exists()


# --- the dashboard ----------------------------------------------------------------------------------


def test_index_shows_counts_the_last_run_and_the_top_10(admin_client, make_video):
    videos = [make_video(title=f"top video {i:02d}") for i in range(12)]
    make_video(in_pool=False)
    make_video(archive_state=ArchiveState.REMOVED)
    for rank, video in enumerate(videos):
        AcademyArchive.objects.filter(oid=video.vid).update(hot=1000 - rank)
    DirtyArchive.objects.create(oid=videos[0].vid)
    run = _finished_run(mode=RunMode.INCREMENTAL)
    _finished_run(mode=RunMode.SELECTED)  # an operator's rescore is not "the last run" of the schedule

    response = admin_client.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<b id="dash-videos">14</b>' in html
    assert '<b id="dash-in-ranking">12</b>' in html
    assert '<b id="dash-dirty">1</b>' in html
    assert f"last run #{run.pk}" in html and "succeeded" in html
    top = html[html.index('id="dash-top"'):]
    positions = [top.index(f"top video {i:02d}") for i in range(10)]
    assert positions == sorted(positions)
    assert "top video 10" not in top


def test_index_dashboard_needs_the_view_permission(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="not-used", is_staff=True)
    client.force_login(user)
    response = client.get(INDEX)
    assert response.status_code == 200 and 'id="ops-dashboard"' not in response.content.decode()

"""Partitioned runs: N django-q2 tasks, each with its own checkpoint, under one parent run."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_q.conf import Conf
from django_q.models import Schedule

from hotrank import engine
from hotrank.models import AcademyArchive, RecomputeRun, RunMode, RunStatus
from hotrank.services import recompute_partitioned_start
from tests.factories import NOW
from tests.hotrank.test_recompute import expected_hots, hots


@pytest.fixture
def tasks_run_inline(monkeypatch):
    """django-q2's sync mode: async_task runs the task in this process, through the same code path."""
    monkeypatch.setattr(Conf, "SYNC", True)


def normal_hots():
    normal = set(AcademyArchive.objects.filter(state=0).values_list("id", flat=True))
    want = {i: h for i, h in expected_hots(NOW).items() if i in normal}
    return {i: h for i, h in hots().items() if i in normal}, want


@pytest.mark.django_db
def test_partitions_cover_the_id_range_and_the_parent_sums_them(mixed_pool, tasks_run_inline,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        parent = recompute_partitioned_start(partitions=4, batch_size=7, now=NOW)
    parent.refresh_from_db()
    children = list(parent.partitions.order_by("id_from"))
    assert parent.status == RunStatus.SUCCEEDED and parent.mode == RunMode.PARTITION
    assert len(children) == 4
    assert all(c.status == RunStatus.SUCCEEDED for c in children)
    assert [c.id_to for c in children[:-1]] == [c.id_from for c in children[1:]]  # contiguous, no overlap
    eligible = AcademyArchive.objects.filter(state=0).count()
    assert sum(c.scanned for c in children) == parent.scanned == eligible
    got, want = normal_hots()
    assert got == want


@pytest.mark.django_db
def test_a_failed_partition_fails_the_run_and_resume_finishes_it(mixed_pool, tasks_run_inline, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    ids = sorted(AcademyArchive.objects.filter(state=0).values_list("id", flat=True))
    poisoned = set(ids[len(ids) // 2 : len(ids) // 2 + 5])
    real_write = engine.archive_hot_write

    def failing_write(*, hots):
        if poisoned & hots.keys():
            raise RuntimeError("injected partition failure")
        return real_write(hots=hots)

    monkeypatch.setattr(engine, "archive_hot_write", failing_write)
    with django_capture_on_commit_callbacks(execute=True):
        parent = recompute_partitioned_start(partitions=3, batch_size=10, now=NOW)
    parent.refresh_from_db()
    assert parent.status == RunStatus.FAILED
    assert "injected partition failure" in parent.error
    assert parent.active_business is None
    assert parent.partitions.filter(status=RunStatus.FAILED).count() == 1
    failed = parent.partitions.get(status=RunStatus.FAILED)
    assert failed.last_id < max(poisoned)  # its checkpoint stops before the failing batch

    monkeypatch.setattr(engine, "archive_hot_write", real_write)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recompute_hot", "--resume")
    parent.refresh_from_db()
    assert parent.status == RunStatus.SUCCEEDED
    got, want = normal_hots()
    assert got == want


@pytest.mark.django_db
def test_partitions_refuse_a_concurrent_run(mixed_pool, capsys):
    recompute_partitioned_start(partitions=2, now=NOW)  # queued, nothing consumes it here
    call_command("recompute_hot")
    assert "already running" in capsys.readouterr().out


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_runs_a_partitioned_pass(mixed_pool):
    """A qcluster process on the test database consumes the partitions from the ORM broker."""
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = f"mysql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "mybili.settings_test"
    env.pop("REDIS_URL", None)
    # Only this test's tasks: the migrated schedules would start their own runs in the worker.
    Schedule.objects.all().delete()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        parent = recompute_partitioned_start(partitions=4, batch_size=25, now=NOW)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            parent.refresh_from_db()
            if parent.status != RunStatus.RUNNING:
                break
            time.sleep(0.5)
        assert parent.status == RunStatus.SUCCEEDED, parent.error
        assert parent.partitions.filter(status=RunStatus.SUCCEEDED).count() == 4
        got, want = normal_hots()
        assert got == want
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        RecomputeRun.objects.all().delete()
    assert "Traceback" not in output, output[-3000:]


@pytest.mark.django_db
def test_a_partitioned_run_without_partitions_never_succeeds(mixed_pool, tasks_run_inline,
                                                             django_capture_on_commit_callbacks):
    """A parent left without partitions (its process died while setting up) must not become a base."""
    from hotrank.services import recompute_run_start

    parent = recompute_run_start(business=1, mode=RunMode.PARTITION, now=NOW)
    RecomputeRun.objects.filter(pk=parent.pk).update(status=RunStatus.FAILED, active_business=None)
    from django.core.management.base import CommandError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError, match="no partitions"):
        call_command("recompute_hot", "--resume")
    parent.refresh_from_db()
    assert parent.status == RunStatus.FAILED
    assert "no partitions" in parent.error

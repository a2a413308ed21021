"""The django-q2 side of the recompute: migrated schedules, the tasks they queue, and the run lock."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage

from hotrank.formula import hot_score
from hotrank.models import AcademyArchive, RecomputeRun, RunMode, RunStatus
from hotrank.services import recompute_run_start

pytestmark = pytest.mark.django_db

schedules_migration = importlib.import_module("hotrank.migrations.0003_schedules")


@pytest.fixture
def schedules():
    """The migrated schedules. Transactional tests flush every table, migrated rows included,
    so the migration's own function puts them back (it is idempotent: see below)."""
    schedules_migration.create(apps, None)


def fire(schedule_name: str) -> dict:
    """Make one schedule due, let django-q2's scheduler queue it, and return the queued task."""
    Schedule.objects.update(next_run=timezone.now() + timedelta(hours=1))
    Schedule.objects.filter(name=schedule_name).update(next_run=timezone.now() - timedelta(seconds=1))
    broker = get_broker()
    broker.purge_queue()
    scheduler(broker=broker)
    queued = broker.dequeue()
    assert queued is not None and len(queued) == 1, queued
    return SignedPackage.loads(queued[0][1])


def run_as_the_worker_would(task: dict):
    return import_string(task["func"])(*task["args"], **task["kwargs"])


def test_the_migration_creates_an_hourly_full_and_a_minutely_incremental_schedule_per_business(schedules):
    schedules_migration.create(apps, None)  # a second time: still one of each
    schedules = {
        s.name: (s.func, s.kwargs, s.schedule_type, s.minutes, s.repeats)
        for s in Schedule.objects.filter(func__startswith="hotrank.tasks.")
    }
    assert schedules == {
        f"recompute {kind} (business {b})": (f"hotrank.tasks.recompute_{kind}", f"business={b}", stype, minutes, -1)
        for b in (1, 2)
        for kind, stype, minutes in (("full", Schedule.HOURLY, None), ("incremental", Schedule.MINUTES, 1))
    }


def test_the_cluster_retries_only_after_a_timed_out_task_is_killed_and_never_catches_up():
    assert Conf.TIMEOUT < Conf.RETRY  # else a slow pass is delivered twice while it still runs
    assert 1 <= Conf.MAX_ATTEMPTS <= 10
    assert Conf.CATCH_UP is False  # a worker back from downtime runs one pass, not one per missed minute


# transaction=True: django-q2's scheduler closes a connection that is not in autocommit (as
# the test case's transaction is on MySQL), and the task then runs as it would on a worker.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["full", "incremental"])
def test_a_due_schedule_queues_its_task_and_the_task_runs_a_pass(schedules, make_video, kind):
    video = make_video(stats={"view": 4000, "like_count": 100})
    task = fire(f"recompute {kind} (business 1)")
    assert task["func"] == f"hotrank.tasks.recompute_{kind}" and task["kwargs"] == {"business": 1}

    outcome = run_as_the_worker_would(task)

    run = RecomputeRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and run.business == 1
    assert run.mode == RunMode.FULL  # the first incremental pass has no base, so it is a full one
    assert f"run {run.pk}" in outcome
    assert AcademyArchive.objects.get(oid=video.vid).hot == hot_score(
        view=4000, like=100, pub_time=video.pub_time, now=run.now_ts
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["full", "incremental"])
def test_a_schedule_firing_while_a_run_is_active_starts_no_second_run(schedules, make_video, kind):
    make_video(stats={"view": 4000})
    holder = recompute_run_start(business=1)
    task = fire(f"recompute {kind} (business 1)")

    outcome = run_as_the_worker_would(task)

    assert outcome.startswith("already running")
    assert list(RecomputeRun.objects.values_list("id", "status")) == [(holder.pk, RunStatus.RUNNING)]
    assert AcademyArchive.objects.get().hot == 0

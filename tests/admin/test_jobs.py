"""Beat's schedules in admin: the last run of each job, its outcome, and a
"run now" button that sends the same task."""

import datetime as dt
import json
import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from cashback.jobs import JOBS, job_run_now
from cashback.models import JobRun
from payouts.models import Payout
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:django_celery_beat_periodictask_changelist")
SCHEDULE = "Payouts: schedule released payouts"


def ensure_schedules() -> list[PeriodicTask]:
    """The payout schedules the migrations create (a flush by an earlier
    transactional test would have removed them)."""
    crontab, _created = CrontabSchedule.objects.get_or_create(minute="30", hour="5")
    return [
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab}
        )[0]
        for name, task in [
            (SCHEDULE, "payouts.schedule_payouts"),
            ("Payouts: bank-details reminders", "payouts.send_reminders"),
            ("Payouts: daily deadline summary", "payouts.deadline_summary"),
        ]
    ]


@pytest.fixture(autouse=True)
def _schedules(db):
    ensure_schedules()


def run_url(job: PeriodicTask) -> str:
    return reverse("admin:django_celery_beat_periodictask_run", args=[job.pk])


@pytest.fixture
def operator(client):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    return client


@pytest.fixture
def released_payout(time_machine):
    """A ready payout whose release date has passed: scheduling moves it on."""
    time_machine.move_to("2027-04-01 08:00:00+00:00", tick=False)
    return PayoutFactory(status=Payout.Status.READY, release_date=dt.date(2027, 3, 30))


def test_run_now_sends_the_same_task_and_records_the_run(
    released_payout, client, time_machine
):
    """POST on "Run now" runs payouts.schedule_payouts (eagerly here): the payout
    is scheduled and the run is recorded as succeeded, with its result."""
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    job = PeriodicTask.objects.get(name=SCHEDULE)
    page = client.get(run_url(job))
    assert page.status_code == 200 and "Run now" in page.content.decode()
    assert not JobRun.objects.exists()  # a GET changes nothing

    response = client.post(run_url(job), follow=True)
    assert response.status_code == 200
    released_payout.refresh_from_db()
    assert released_payout.status == Payout.Status.SCHEDULED
    run = JobRun.objects.get()
    assert run.periodic_task_name == SCHEDULE
    assert run.task_name == "payouts.schedule_payouts"
    assert run.outcome == JobRun.Outcome.SUCCEEDED
    assert run.summary == "1"
    assert run.finished_at is not None
    assert "was sent to the workers" in response.content.decode()


def test_the_schedule_list_shows_each_jobs_last_run_and_outcome(operator):
    """The newest run per job, its outcome, and a run-now link; fixed queries."""
    jobs = list(PeriodicTask.objects.exclude(name="celery.backend_cleanup"))
    assert len(jobs) >= 3
    first, second = jobs[0], jobs[1]
    base = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
    JobRun.objects.create(
        periodic_task_name=first.name,
        task_name=first.task,
        task_id="old",
        started_at=base,
        outcome="succeeded",
    )
    JobRun.objects.create(
        periodic_task_name=first.name,
        task_name=first.task,
        task_id="new",
        started_at=base + dt.timedelta(hours=1),
        outcome="failed",
        summary="OperationalError: connection refused",
    )
    response = operator.get(CHANGELIST)
    assert response.status_code == 200
    rows = {job.name: job for job in response.context["cl"].result_list}
    assert rows[first.name].last_outcome == "failed"
    assert rows[first.name].last_started == base + dt.timedelta(hours=1)
    assert rows[second.name].last_outcome is None
    html = response.content.decode()
    assert "connection refused" in html
    assert run_url(first) in html


def test_a_failing_job_is_recorded_as_failed(operator, monkeypatch):
    """A job whose task raises is recorded failed with the error, and the
    operator gets a message, not a server error."""
    # The validation of one claim, made a job here so that it can fail.
    monkeypatch.setitem(JOBS, "claims.validate", "Validate one claim")
    crontab = CrontabSchedule.objects.create(minute="0", hour="3")
    job = PeriodicTask.objects.create(
        name="Broken job",
        task="claims.validate",
        crontab=crontab,
        args=json.dumps(["not-a-claim-id"]),
    )
    response = operator.post(run_url(job), follow=True)
    assert response.status_code == 200
    assert "could not be run" in response.content.decode()
    run = JobRun.objects.get(periodic_task_name="Broken job")
    assert run.outcome == JobRun.Outcome.FAILED
    assert "ValueError" in run.summary


def test_run_now_needs_the_change_permission(client):
    """Staff who may only look at schedules cannot start a job."""
    user = StaffUserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_periodictask"))
    client.force_login(user)
    job = PeriodicTask.objects.get(name=SCHEDULE)
    assert client.post(run_url(job)).status_code == 403
    assert not JobRun.objects.exists()


def _schedule_form(job: PeriodicTask, task: str) -> dict:
    return {
        "name": job.name,
        "regtask": "",
        "task": task,
        "enabled": "on",
        "crontab": job.crontab_id,
        "args": "[]",
        "kwargs": "{}",
        "headers": "{}",
        "priority": "",
        "queue": "",
        "exchange": "",
        "routing_key": "",
        "expire_seconds": "",
        "description": "",
    }


def test_an_operator_cannot_point_a_schedule_at_a_task_that_is_not_a_job(operator):
    """Any registered task (here: deliver one e-mail) is refused on the form;
    the schedule keeps its job."""
    job = PeriodicTask.objects.get(name=SCHEDULE)
    url = reverse("admin:django_celery_beat_periodictask_change", args=[job.pk])
    response = operator.post(url, _schedule_form(job, "cashback.outbox_deliver"))
    assert response.status_code == 200
    assert "is not one of the portal&#x27;s jobs" in response.content.decode()
    job.refresh_from_db()
    assert job.task == "payouts.schedule_payouts"
    response = operator.post(url, _schedule_form(job, "payouts.send_reminders"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.task == "payouts.send_reminders"


def test_run_now_refuses_a_schedule_whose_task_is_not_a_job():
    """A schedule written around the form (the database, an old row) still
    cannot run a task that is not a job."""
    from cashback.jobs import JobNotFound

    crontab = CrontabSchedule.objects.create(minute="0", hour="4")
    job = PeriodicTask.objects.create(
        name="Odd", task="cashback.outbox_deliver", crontab=crontab, args="[1]"
    )
    with pytest.raises(JobNotFound):
        job_run_now(periodic_task=job)


def test_every_schedule_the_migrations_make_runs_a_job():
    """The schedules in the database name jobs of the list (a transactional
    test elsewhere may have flushed the migrations' rows; the payout ones are
    made again above)."""
    from cashback.jobs import JOBS

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert tasks
    assert tasks <= set(JOBS), sorted(tasks - set(JOBS))


def test_ordinary_tasks_are_not_recorded():
    """Only tasks sent by beat or "run now" (with the schedule's name) are jobs."""
    from payouts.tasks import schedule_payouts

    schedule_payouts.delay()
    assert not JobRun.objects.exists()


@pytest.mark.worker
def test_a_real_worker_records_the_run(celery_worker_process):
    """Through Redis to a worker process: the header reaches the worker and the
    run is recorded there."""
    job = PeriodicTask.objects.get(name=SCHEDULE)
    job.queue = celery_worker_process
    job.save(update_fields=["queue"])
    task_id = job_run_now(periodic_task=job)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(task_id=task_id).first()
        if run and run.outcome != JobRun.Outcome.RUNNING:
            break
        time.sleep(0.2)
    assert run is not None
    assert run.periodic_task_name == SCHEDULE
    assert run.outcome == JobRun.Outcome.SUCCEEDED

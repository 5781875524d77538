"""Record each run of a scheduled job and its outcome (cashback.models.JobRun).

Beat (django-celery-beat's scheduler) and the admin's "run now" send a job's
task with the header `periodic_task_name`; these Celery signal handlers write
a JobRun when such a task starts and complete it when it succeeds or fails.
A table of our own rather than django-celery-results: that stores every task's
result (thousands of e-mail deliveries a day) in a second results backend,
while operators only need the last run of a handful of jobs, keyed by the
schedule's name, which its TaskResult rows do not carry.
"""

import logging

from celery import signals
from django.utils import timezone

logger = logging.getLogger(__name__)
SUMMARY_LIMIT = 2000


def _job_name(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    name = getattr(request, "periodic_task_name", None)
    headers = getattr(request, "headers", None) or {}
    return name or headers.get("periodic_task_name")


def _record_start(sender=None, task_id=None, task=None, **kwargs) -> None:
    from .models import JobRun

    name = _job_name(task)
    if not name or not task_id:
        return
    try:
        JobRun.objects.update_or_create(
            task_id=task_id,
            defaults={
                "periodic_task_name": name[:200],
                "task_name": task.name[:200],
                "started_at": timezone.now(),
                "outcome": JobRun.Outcome.RUNNING,
            },
        )
    except Exception:  # never let bookkeeping fail the job itself
        logger.exception("Could not record the start of job %s", name)


def _record_end(task_id: str | None, outcome: str, summary: str) -> None:
    """Complete the run's row; tasks that are not jobs have none to update."""
    from .models import JobRun

    if not task_id:
        return
    try:
        JobRun.objects.filter(task_id=task_id).update(
            outcome=outcome, finished_at=timezone.now(), summary=summary[:SUMMARY_LIMIT]
        )
    except Exception:
        logger.exception("Could not record the end of task %s", task_id)


def _record_success(sender=None, result=None, **kwargs) -> None:
    from .models import JobRun

    if _job_name(sender):  # the request is still the task's while it succeeds
        _record_end(sender.request.id, JobRun.Outcome.SUCCEEDED, repr(result))


def _record_failure(sender=None, exception=None, **kwargs) -> None:
    from .models import JobRun

    _record_end(
        sender, JobRun.Outcome.FAILED, f"{type(exception).__name__}: {exception}"
    )


def connect() -> None:
    """Connect the handlers (from CashbackConfig.ready)."""
    signals.task_prerun.connect(_record_start, weak=False, dispatch_uid="jobrun.start")
    signals.task_success.connect(_record_success, weak=False, dispatch_uid="jobrun.ok")
    signals.task_failure.connect(
        _record_failure, weak=False, dispatch_uid="jobrun.failed"
    )


class JobNotFound(Exception):
    """The schedule names a task no worker module registers."""


def job_run_now(*, periodic_task) -> str:
    """Send a scheduled job's task now, exactly as beat would; return its id.

    Same task, arguments, queue and `periodic_task_name` header as beat's
    scheduler sends, so the run is recorded like a scheduled one.
    """
    import json

    from celery.utils import uuid

    from .celery import app
    from .models import JobRun

    app.loader.import_default_modules()
    task = (
        app.tasks.get(periodic_task.task) if job_is_known(periodic_task.task) else None
    )
    if task is None:
        raise JobNotFound(periodic_task.task)
    options: dict = {"headers": {"periodic_task_name": periodic_task.name}}
    if periodic_task.queue:
        options["queue"] = periodic_task.queue
    task_id = uuid()
    try:
        task.apply_async(
            args=json.loads(periodic_task.args or "[]"),
            kwargs=json.loads(periodic_task.kwargs or "{}"),
            task_id=task_id,
            retry=False,
            **options,
        )
    except Exception as error:
        # Run in this process (no broker: eager mode), a failure propagates
        # here without Celery's failure signal; record it all the same.
        _record_end(task_id, JobRun.Outcome.FAILED, f"{type(error).__name__}: {error}")
        raise
    return task_id


# The jobs a schedule may run: every beat entry names one of these tasks. An
# operator edits when they run, never which code runs (a schedule pointed at
# any registered task, with arguments of one's choosing, would run it as the
# system). A new job adds its task here along with its schedule.
JOBS = {
    "cashback.outbox_relay": "Deliver pending outbox e-mail",
    "cashback.outbox_purge_links": "Purge sent e-mails that held sign-in links",
    "claims.validate_pending": "Validate claims waiting for validation",
    "claims.free_final_rejections": "Free the agreement numbers of final rejections",
    "payouts.send_reminders": "Bank-details reminders",
    "payouts.schedule_payouts": "Schedule released payouts",
    "payouts.deadline_summary": "Daily deadline summary",
    "payouts.read_bank_files": "Read the bank's answers from its inbound folder",
    "privacy.retention": "Delete personal data past its retention",
    "statements.issue_missing": "Issue the documents of booked payments left without",
}


def job_is_known(task_name: str) -> bool:
    """Whether a schedule may name this task."""
    return task_name in JOBS

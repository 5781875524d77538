"""One scheduler, safe with two (R27): two beat processes send each periodic job
once per tick, and the jobs keep running after the beat holding the lease is
killed. Every job also takes its own lock: a second run while one runs skips."""

import datetime as dt
import itertools
import os
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cashback.models import JobRun
from payouts.tasks import schedule_payouts
from tests.conftest import ROOT, database_url_for_current_test_database
from tests.services import CeleryWorker, wait_for

TICK_SECONDS = 4
LEASE_SECONDS = 6


class Beat:
    def __init__(self, *, lease_key: str, log_dir) -> None:
        self.lease_key = lease_key
        self.log = open(log_dir / f"beat-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cashback",
                "beat",
                "-l",
                "info",
                "--pidfile=",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
                "DATABASE_URL": database_url_for_current_test_database(),
                "REDIS_URL": settings.REDIS_URL,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "BEAT_LEASE_SECONDS": str(LEASE_SECONDS),
                "BEAT_LEASE_KEY": lease_key,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_times(name: str) -> list[float]:
    return [
        started.timestamp()
        for started in JobRun.objects.filter(periodic_task_name=name)
        .order_by("started_at")
        .values_list("started_at", flat=True)
    ]


def once_per_tick(times: list[float]) -> bool:
    """A tick sent twice would start twice within milliseconds."""
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    return all(gap > TICK_SECONDS / 2 for gap in gaps)


@pytest.mark.worker
def test_two_beats_send_each_tick_once_and_survive_the_leaders_death(
    transactional_db, tmp_path
):
    worker = CeleryWorker(
        database_url=database_url_for_current_test_database(),
        broker_url=settings.REDIS_URL,
    )
    PeriodicTask.objects.update(enabled=False)
    every_tick, _ = IntervalSchedule.objects.get_or_create(
        every=TICK_SECONDS, period=IntervalSchedule.SECONDS
    )
    name = f"relay-{uuid.uuid4().hex[:6]}"
    PeriodicTask.objects.create(
        name=name, task="cashback.outbox_relay", interval=every_tick, queue=worker.queue
    )
    lease_key = f"test:beat-lease:{uuid.uuid4().hex}"
    beats = []
    worker.start()
    try:
        beats = [Beat(lease_key=lease_key, log_dir=tmp_path) for _ in range(2)]
        assert wait_for(lambda: len(start_times(name)) >= 6, timeout=90), (
            worker.output()
        )
        assert once_per_tick(start_times(name)), [b.output() for b in beats]

        holder = redis.Redis.from_url(settings.REDIS_URL).get(lease_key).decode()
        leader = next(b for b in beats if holder.endswith(f":{b.process.pid}"))
        leader.stop()
        killed_at = time.time()
        assert wait_for(
            lambda: len([t for t in start_times(name) if t > killed_at]) >= 3,
            timeout=LEASE_SECONDS + 6 * TICK_SECONDS,
        ), "no beat took over"
        assert once_per_tick(start_times(name)), [b.output() for b in beats]
    finally:
        for beat in beats:
            beat.stop()
        worker.stop()


@pytest.mark.postgres
def test_a_job_already_running_is_skipped_not_run_twice(transactional_db):
    """A manual run while the scheduled one runs (its lock held) does nothing."""
    db = settings.DATABASES["default"]
    dsn = (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER']} dbname={db['NAME']}"
    )
    with psycopg.connect(dsn) as running:
        running.execute(
            "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
            ["cashback-job:payouts.schedule_payouts"],
        )
        assert schedule_payouts.apply().get() == {"skipped": "already running"}
        # The scheduled run ends (unlock now: a closed connection's backend
        # may release its locks a moment later).
        running.execute(
            "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
            ["cashback-job:payouts.schedule_payouts"],
        )
    assert schedule_payouts.apply().get() == 0


def the_only_job_hourly_and_due() -> tuple[str, str, dt.datetime]:
    """One enabled job (the relay, hourly, last run two hours ago) on a queue
    of its own: its name, its queue and its last run."""
    PeriodicTask.objects.update(enabled=False)
    hourly, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.HOURS
    )
    name = f"relay-{uuid.uuid4().hex[:6]}"
    queue = f"test-{name}"
    last_run = timezone.now() - dt.timedelta(hours=2)
    PeriodicTask.objects.create(
        name=name,
        task="cashback.outbox_relay",
        interval=hourly,
        queue=queue,
        last_run_at=last_run,
    )
    return name, queue, last_run


@pytest.mark.redis
def test_a_jobs_run_time_is_in_the_database_before_its_task_is_sent(
    transactional_db, settings
):
    """A holder that stalls right after a send (load, a pause) can lose the lease
    before it writes the run time; the next holder reads the database and must
    not send that tick again. So the run time is written first."""
    from celery.signals import before_task_publish

    from cashback.celery import app
    from cashback.scheduler import LeasedDatabaseScheduler

    settings.BEAT_LEASE_KEY = f"test:beat-lease:{uuid.uuid4().hex}"
    name, queue, last_run = the_only_job_hourly_and_due()
    stored_at_send = []

    def read_the_database(sender=None, headers=None, **kwargs):
        if (headers or {}).get("periodic_task_name") == name:
            stored_at_send.append(PeriodicTask.objects.get(name=name).last_run_at)

    before_task_publish.connect(read_the_database, weak=False)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    scheduler = LeasedDatabaseScheduler(app=app)
    try:
        for _ in range(20):
            scheduler.tick()
            if stored_at_send:
                break
    finally:
        scheduler.close()
        app.conf.task_always_eager = eager
        before_task_publish.disconnect(read_the_database)
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)
    assert stored_at_send, "the due job was not sent"
    assert stored_at_send[0] > last_run, "sent before its run time was stored"


@pytest.mark.redis
def test_a_tick_is_sent_once_when_the_schedule_changes_while_it_is_sent(
    transactional_db, settings
):
    """Another beat starting up writes its default entries, which marks the
    schedules changed; seen in the middle of a tick, the change rebuilt the
    heap from entries the send had not advanced, and the tick went out twice
    within milliseconds (seen in CI as two starts 66 ms apart)."""
    from celery.signals import before_task_publish
    from django_celery_beat.models import PeriodicTasks

    from cashback.celery import app
    from cashback.scheduler import LeasedDatabaseScheduler

    class AnotherBeatStartsDuringTheRead(LeasedDatabaseScheduler):
        another_beat_starting = False

        def all_as_schedule(self):
            schedule = super().all_as_schedule()
            if self.another_beat_starting:
                self.another_beat_starting = False
                PeriodicTasks.update_changed()
            return schedule

    settings.BEAT_LEASE_KEY = f"test:beat-lease:{uuid.uuid4().hex}"
    name, queue, _ = the_only_job_hourly_and_due()
    sends = []

    def count_the_sends(sender=None, headers=None, **kwargs):
        if (headers or {}).get("periodic_task_name") == name:
            sends.append(time.monotonic())

    before_task_publish.connect(count_the_sends, weak=False)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    scheduler = AnotherBeatStartsDuringTheRead(app=app)
    scheduler.another_beat_starting = True
    try:
        for _ in range(5):
            scheduler.tick()
    finally:
        scheduler.close()
        app.conf.task_always_eager = eager
        before_task_publish.disconnect(count_the_sends)
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)
    assert len(sends) == 1, f"the hourly job was sent {len(sends)} times in five ticks"

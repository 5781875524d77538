"""One scheduler at a time, with failover (R27): django-celery-beat's database
scheduler that sends jobs only while it holds a lease in Redis.

Run beat on two machines (or more) with `-S cashback.scheduler:LeasedDatabaseScheduler`
(the default CELERY_BEAT_SCHEDULER): the one holding the lease sends the
periodic jobs; the others wait. The holder renews the lease at every tick (at
most a third of BEAT_LEASE_SECONDS apart); a holder that dies or loses Redis
stops renewing, and after at most BEAT_LEASE_SECONDS another takes the lease,
re-reads the schedules (and their last run times, written before every send)
from the database and carries on, so no tick is sent twice; a holder that
stalls mid-send delays that tick by at most one interval. The lock is redis-py's (a
SET NX with an expiry, renewed only by its owner); its value names the
holder's host and process, for the operator. Schedules stay in the database:
operators keep editing them in admin.
"""

import contextlib
import logging
import os
import socket

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)


class LeasedDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler that ticks only while it holds the Redis lease."""

    def __init__(self, *args, **kwargs) -> None:
        self.lease_seconds = float(settings.BEAT_LEASE_SECONDS)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.lease = None
        self.leading = False
        if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL,
                socket_connect_timeout=2,
                socket_timeout=2,
            )
            self.lease = client.lock(
                settings.BEAT_LEASE_KEY,
                timeout=self.lease_seconds,
                blocking=False,
                thread_local=False,
            )
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        standby = max(1.0, self.lease_seconds / 3)
        if not self.hold_lease():
            return standby
        return min(super().tick(*args, **kwargs), standby)

    def reserve(self, entry):
        """Advance the entry and keep the advanced one in the schedule.

        django-celery-beat's reserve leaves the schedule holding the entry as
        it was before the send (only its model row advances). Any change to
        the schedules seen in the same tick (another beat starting up writes
        its default entries) rebuilds the heap from the schedule on the next
        tick, and the stale entry is due again: the tick went out twice within
        milliseconds. Celery's own Scheduler.reserve stores the new entry too.
        """
        new_entry = super().reserve(entry)
        self._schedule[new_entry.name] = new_entry
        return new_entry

    def apply_entry(self, entry, producer=None) -> None:
        """Write the run time, then send, each while holding the lease.

        Celery's tick has already advanced the entry in memory; stock beat
        sends, then writes the run time. A holder that stalls between the two
        (a loaded machine, a pause) can lose the lease, and the next holder,
        reading the database, would send the tick again. Written first, the
        worst a stall can do is delay that one tick to the next interval. The
        lease is renewed before the write and again right before the send: a
        holder that stalled past the lease (its first send imports and
        connects) must not send a tick another beat has already taken over.
        """
        if not self.hold_lease():
            self.not_sent(entry)
            return
        self.sync()
        if not self.hold_lease():
            self.not_sent(entry)
            return
        super().apply_entry(entry, producer=producer)

    def not_sent(self, entry) -> None:
        logger.warning(
            "Beat %s no longer holds the lease: %s not sent", self.holder, entry.name
        )

    def hold_lease(self) -> bool:
        """Renew the lease if ours, else try to take it; False while another
        beat holds it or Redis does not answer."""
        if self.lease is None:  # no Redis: one process, nothing to share
            return True
        try:
            if self.leading:
                self.lease.reacquire()
            elif self.lease.acquire(token=self.holder.encode()):
                self.take_over()
            else:
                return False
        except (LockError, RedisError) as error:
            if self.leading:
                logger.warning(
                    "Beat %s lost the scheduler lease (%s): standing by",
                    self.holder,
                    type(error).__name__,
                )
            self.leading = False
            return False
        return True

    def take_over(self) -> None:
        """Start from the database's schedules and last run times, which the
        previous holder wrote after each send, not from this process's copy."""
        logger.info("Beat %s holds the scheduler lease: sending jobs", self.holder)
        self.leading = True
        self._dirty.clear()
        self._initial_read = True
        self._heap = None

    def close(self) -> None:
        super().close()
        if self.lease is not None and self.leading:
            with contextlib.suppress(LockError, RedisError):
                self.lease.release()

"""Enqueueing tasks after commit without letting a broker outage break a page."""

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_now(task: Task, *args: Any) -> bool:
    """Send a task; when the broker is down, log it and carry on.

    Work enqueued here is always recorded in the database first (an outbox row,
    a state the periodic jobs look for), so a lost enqueue delays it, never
    loses it.
    """
    try:
        task.apply_async(args=args, retry=False)
    except Exception as error:
        logger.warning("Could not enqueue %s%r: %s", task.name, args, error)
        return False
    return True


def enqueue_after_commit(task: Task, *args: Any) -> None:
    transaction.on_commit(lambda: enqueue_now(task, *args))

"""Enqueueing tasks after commit without letting a broker outage break a page."""

import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_now(task: Task | str, *args: Any) -> bool:
    """Send a task (or the task registered under that name); when the broker
    is down, log it and carry on.

    A service names the task it enqueues (a constant beside the service, which
    the app's tasks.py registers the task under), so services never import
    their app's tasks module, which imports them: no import circle.

    Work enqueued here is always recorded in the database first (an outbox row,
    a state the periodic jobs look for), so a lost enqueue delays it, never
    loses it.
    """
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            task = current_app.tasks[task]
        task.apply_async(args=args, retry=False)
    except Exception as error:
        logger.warning("Could not enqueue %s%r: %s", name, args, error)
        return False
    return True


def enqueue_after_commit(task: Task | str, *args: Any) -> None:
    transaction.on_commit(lambda: enqueue_now(task, *args))

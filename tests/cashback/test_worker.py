"""A real task through Redis to a real worker process, seen in the database."""

import time

import pytest
from django.core import mail

from cashback.models import OutboxMessage
from cashback.tasks import outbox_deliver


@pytest.mark.worker
def test_worker_delivers_an_outbox_message_through_redis(celery_worker_process):
    message = OutboxMessage.objects.create(
        dedup_key="worker-test",
        recipients=["kim@reseller.example"],
        subject="Hello",
        text_body="Sent by a real worker.",
    )
    outbox_deliver.apply_async(args=[message.pk], queue=celery_worker_process)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.sent_at is not None:
            break
        time.sleep(0.2)
    assert message.sent_at is not None
    assert message.attempts == 1
    # It was the worker process that sent it, not this one.
    assert mail.outbox == []

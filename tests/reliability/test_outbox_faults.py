"""Nothing sent is lost when Redis or the worker is down, and nothing goes twice."""

import pytest
from django.db import transaction

from cashback.models import OutboxMessage
from cashback.outbox import outbox_email_enqueue
from cashback.tasks import outbox_relay_pending
from tests.conftest import database_url_for_current_test_database
from tests.services import CeleryWorker, broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def enqueue_notice(key: str) -> OutboxMessage:
    with transaction.atomic():
        return outbox_email_enqueue(
            dedup_key=key,
            recipients=["kim@reseller.example"],
            template="emails/test_message",
            context={"name": "Kim"},
            language="en",
        )


def test_a_notice_written_while_redis_is_down_goes_out_once_it_is_back(
    private_redis, settings
):
    """The change commits with Redis down; the relay delivers it later, once."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from cashback.celery import app

    app.conf.task_always_eager = False
    worker = CeleryWorker(
        database_url=database_url_for_current_test_database(),
        broker_url=private_redis.url,
    )
    try:
        with broker(private_redis.url):
            worker.start()
            private_redis.stop()

            message = enqueue_notice("approved:CB-2026-000001")  # must not raise

            message.refresh_from_db()
            assert message.sent_at is None

            private_redis.start()
            worker.wait_until_ready(timeout=60)  # it reconnects by itself
            OutboxMessage.objects.filter(pk=message.pk).update(
                created_at=message.created_at.replace(year=2000)
            )
            outbox_relay_pending.apply_async(queue=worker.queue)
            outbox_relay_pending.apply_async(queue=worker.queue)  # a second relay

            assert wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).sent_at)
            message.refresh_from_db()
            assert message.attempts == 1
    finally:
        app.conf.task_always_eager = True
        worker.stop()

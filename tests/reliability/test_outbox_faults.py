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


def test_approving_while_redis_is_down_works_and_the_notices_go_out_once_back(
    private_redis, settings, client
):
    """Approval commits and the claim page answers with Redis down; the approval
    and bank-details notices are sent once when Redis is back."""
    from django.utils import timezone

    from cashback.celery import app
    from claims.models import Claim
    from claims.services import claim_approve
    from payouts.models import Payout
    from tests.claims.factories import ClaimFactory
    from tests.resellers.factories import ReviewerFactory, UserFactory

    user = UserFactory(is_company_admin=True)  # someone who may give bank details
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    app.conf.task_always_eager = False
    worker = CeleryWorker(
        database_url=database_url_for_current_test_database(),
        broker_url=private_redis.url,
    )
    try:
        with broker(private_redis.url):
            worker.start()
            private_redis.stop()

            claim_approve(claim=claim, actor=ReviewerFactory())  # must not raise
            claim.refresh_from_db()
            assert claim.status == Claim.Status.APPROVED
            assert Payout.objects.filter(claim=claim).count() == 1
            client.force_login(user)
            page = client.get(claim.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
            assert page.status_code == 200
            pending = OutboxMessage.objects.filter(sent_at__isnull=True)
            keys = set(pending.values_list("dedup_key", flat=True))
            assert len(keys) >= 2  # the decision and the bank-details invitation

            private_redis.start()
            worker.wait_until_ready(timeout=60)
            pending.update(created_at=timezone.now().replace(year=2000))
            outbox_relay_pending.apply_async(queue=worker.queue)
            outbox_relay_pending.apply_async(queue=worker.queue)

            sent = OutboxMessage.objects.filter(dedup_key__in=keys)
            assert wait_for(lambda: not sent.filter(sent_at__isnull=True).exists())
            assert set(sent.values_list("attempts", flat=True)) == {1}
    finally:
        app.conf.task_always_eager = True
        worker.stop()

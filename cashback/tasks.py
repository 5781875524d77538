"""Tasks of the shared kernel: thin, re-read by id, call a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .outbox import outbox_links_purge, outbox_message_deliver, outbox_relay


@shared_task(name="cashback.outbox_deliver")
def outbox_deliver(message_id: int) -> bool:
    return outbox_message_deliver(message_id=message_id)


@shared_task(name="cashback.outbox_relay")
def outbox_relay_pending() -> int:
    return outbox_relay()


# bench (issue 9): one task per batch of a set-based job instead of one per
# e-mail; sending 1,000 tasks cost the reminder sweep about as much as its SQL.
@shared_task(name="cashback.outbox_deliver_many")
def outbox_deliver_many(message_ids: list[int]) -> int:
    return sum(outbox_message_deliver(message_id=pk) for pk in message_ids)


@shared_task(name="cashback.outbox_purge_links")
def outbox_purge_links() -> int:
    return outbox_links_purge(
        older_than=timedelta(days=settings.OUTBOX_LINK_RETENTION_DAYS)
    )

"""Tasks of the shared kernel: thin, re-read by id, call a service."""

from celery import shared_task

from .outbox import outbox_message_deliver, outbox_relay


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

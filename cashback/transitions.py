"""The one write the state machines share (claims, payouts): a locked row's
new status and the event row that records the move, in the caller's
transaction.

Each app's transitions module checks the move against its own table first and
is the only caller (tests/cashback/test_status_writes.py), so a status is
never written without its event.
"""

from collections.abc import Iterable

from django.db import models


def status_move[Event: models.Model](
    row: models.Model,
    *,
    to: str,
    event_model: type[Event],
    fields: Iterable[str] = (),
    **event_fields,
) -> Event:
    """Write `row`'s status `to` (with `fields`, set by the caller) and create
    its `event_model` row with the move's from and to states and
    `event_fields` (its foreign key, kind, actor, message, ...)."""
    from_status = row.status
    row.status = to
    row.save(update_fields=["status", "updated_at", *fields])
    return event_model.objects.create(
        from_status=from_status, to_status=to, **event_fields
    )

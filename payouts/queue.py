"""Payouts still open, near their payment deadline and past it (R16): shared by
the reseller pages, the admin filter, the staff dashboard and the operators'
daily summary, so a figure and the list behind it count the same payouts."""

import datetime as dt

from django.db.models import Q

from resellers.models import active_admin_exists

from .models import Payout

# Payouts whose money has not reached the company nor lapsed.
OPEN_STATUSES = [
    Payout.Status.AWAITING_BANK_DETAILS,
    Payout.Status.READY,
    Payout.Status.SCHEDULED,
    Payout.Status.IN_BATCH,
    Payout.Status.FAILED,
]
DEADLINE_WARNING_DAYS = 7
# Paid out soon: released to the bank or about to be.
SCHEDULED_STATUSES = [Payout.Status.SCHEDULED, Payout.Status.IN_BATCH]
# The deadline buckets, by the value of the admin filter's parameter.
DEADLINE_SOON = "soon"
DEADLINE_PAST = "past"
# The admin filter's value for payouts nobody at the company may give bank
# details for (issue 27).
NO_ADMIN = "no_admin"


def open_q() -> Q:
    """Payouts still open."""
    return Q(status__in=OPEN_STATUSES)


def deadline_q(key: str, today: dt.date) -> Q:
    """Open payouts in deadline bucket `key`: within the warning days of their
    payment deadline (`soon`), or past it (`past`)."""
    if key == DEADLINE_SOON:
        return open_q() & Q(
            payment_deadline__gte=today,
            payment_deadline__lte=today + dt.timedelta(days=DEADLINE_WARNING_DAYS),
        )
    if key == DEADLINE_PAST:
        return open_q() & Q(payment_deadline__lt=today)
    raise KeyError(key)


def no_admin_q() -> Q:
    """Payouts waiting for bank details whose company has no active company
    admin, so nobody may give them (issue 27): their clock does not start,
    they are neither reminded nor forfeited, and an operator appoints an admin."""
    return Q(status=Payout.Status.AWAITING_BANK_DETAILS) & ~Q(active_admin_exists())

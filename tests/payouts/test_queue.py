"""Payouts open, near their payment deadline and past it (payouts/queue.py):
one rule read by the admin filter, the dashboard, the operators' summary and
the reseller overview, so they all count the same payouts."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payouts.models import Payout
from payouts.queue import DEADLINE_PAST, DEADLINE_SOON, OPEN_STATUSES, deadline_q
from payouts.selectors import payouts_at_deadline_risk
from payouts.services import OPERATORS_GROUP, operators_deadline_summary_send
from portal.admin_dashboard import deadline_risk
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
S = Payout.Status
TODAY = dt.date(2027, 4, 20)


@pytest.fixture
def payouts():
    """One payout per edge of the buckets, by name."""

    def make(status, days):
        return PayoutFactory(
            status=status, payment_deadline=TODAY + dt.timedelta(days=days)
        )

    return {
        "past": make(S.READY, -1),
        "past_failed": make(S.FAILED, -30),
        "today": make(S.AWAITING_BANK_DETAILS, 0),
        "last_warning_day": make(S.IN_BATCH, 7),
        "later": make(S.SCHEDULED, 8),
        "paid_past": make(S.PAID, -1),
        "forfeited_soon": make(S.FORFEITED, 2),
    }


def names(payouts, queryset) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name, payout in payouts.items() if payout.pk in pks}


def test_open_payouts_are_those_not_paid_forfeited_nor_cancelled(payouts):
    """`Payout.objects.open()` (the reseller overview's money on its way)."""
    assert set(OPEN_STATUSES) == set(S) - {S.PAID, S.FORFEITED, S.CANCELLED}
    assert names(payouts, Payout.objects.open()) == {
        "past",
        "past_failed",
        "today",
        "last_warning_day",
        "later",
    }


def test_deadline_buckets_hold_open_payouts_by_their_deadline(payouts):
    """Soon: from today to the seventh day; past: before today; closed
    payouts never."""
    soon = Payout.objects.deadline(DEADLINE_SOON, TODAY)
    past = Payout.objects.filter(deadline_q(DEADLINE_PAST, TODAY))
    assert names(payouts, soon) == {"today", "last_warning_day"}
    assert names(payouts, past) == {"past", "past_failed"}
    with pytest.raises(KeyError):
        deadline_q("tomorrow", TODAY)


def test_filter_dashboard_and_summary_count_the_same_payouts(
    payouts, client, time_machine
):
    """The admin filter, the dashboard figures, the selector and the daily
    summary all read the queue: the same payouts in each."""
    time_machine.move_to("2027-04-20 08:00:00+00:00", tick=False)
    soon, past = payouts_at_deadline_risk(today=TODAY)
    assert names(payouts, soon) == {"today", "last_warning_day"}
    assert names(payouts, past) == {"past", "past_failed"}

    soon_figure, past_figure = deadline_risk(TODAY)
    assert (soon_figure.value, past_figure.value) == (2, 2)

    operator = StaffUserFactory()
    operator.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    assert operators_deadline_summary_send(today=TODAY) == 4

    client.force_login(operator)
    url = reverse("admin:payouts_payout_changelist")
    for key, expected in ((DEADLINE_SOON, soon), (DEADLINE_PAST, past)):
        html = client.get(url, {"deadline": key}).content.decode()
        listed = {
            name for name, payout in payouts.items() if payout.claim.reference in html
        }
        assert listed == names(payouts, expected)

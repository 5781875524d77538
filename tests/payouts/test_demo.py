"""The payouts demo: every state, created through the services, idempotent."""

import pytest

from payouts import demo
from payouts.models import Payout

pytestmark = pytest.mark.django_db


def test_demo_has_payouts_in_each_state_and_reruns_change_nothing():
    """Seeding twice gives the same payouts, one in each state."""
    demo.seed()
    first = dict(Payout.objects.values_list("claim__reference", "status"))
    demo.seed()
    assert dict(Payout.objects.values_list("claim__reference", "status")) == first
    states = set(first.values())
    assert states >= {
        Payout.Status.AWAITING_BANK_DETAILS,
        Payout.Status.READY,
        Payout.Status.SCHEDULED,
        Payout.Status.IN_BATCH,
        Payout.Status.PAID,
        Payout.Status.FORFEITED,
    }
    assert Payout.objects.filter(cycle=2, failure_reason__startswith="AC01").exists()

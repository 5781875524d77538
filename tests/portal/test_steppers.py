"""Claim and payout steppers: which steps are done, which is current, which next."""

import pytest
from django.utils import translation

from claims.models import Claim
from payouts.models import Payout
from portal.steppers import claim_steps, payout_steps


@pytest.fixture(autouse=True)
def english():
    """The labels are compared in English, whatever an earlier test activated."""
    with translation.override("en"):
        yield


def states(steps) -> list[tuple[str, str]]:
    return [(str(step.label), step.state) for step in steps]


def test_a_claim_waiting_for_its_invoice_is_at_the_review_step():
    """Submitted is done, the invoice request is current, approval is to come."""
    steps = claim_steps(Claim(status=Claim.Status.INFO_REQUESTED))
    assert states(steps) == [
        ("Submitted", "done"),
        ("Invoice requested", "current"),
        ("Approved", "next"),
    ]
    assert [step.is_current for step in steps] == [False, True, False]


def test_a_rejected_claim_ends_at_a_stopped_step():
    """A rejection replaces approval and is marked as the end of the path."""
    steps = claim_steps(Claim(status=Claim.Status.REJECTED))
    assert states(steps)[-1] == ("Rejected", "current")
    assert steps[-1].stopped and not steps[0].stopped


def test_a_scheduled_payout_has_its_first_two_steps_done():
    """Bank details and ready are behind it; the bank and payment are ahead."""
    steps = payout_steps(Payout(status=Payout.Status.SCHEDULED))
    assert states(steps) == [
        ("Bank details", "done"),
        ("Ready", "done"),
        ("Scheduled", "current"),
        ("In a payment batch", "next"),
        ("Paid", "next"),
    ]


def test_a_payout_waiting_for_bank_details_says_so_at_the_first_step():
    steps = payout_steps(Payout(status=Payout.Status.AWAITING_BANK_DETAILS))
    assert states(steps)[0] == ("Waiting for bank details", "current")


def test_a_forfeited_payout_is_one_stopped_step():
    steps = payout_steps(Payout(status=Payout.Status.FORFEITED))
    assert states(steps) == [("Forfeited", "current")]
    assert steps[0].stopped

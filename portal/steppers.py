"""Claim and payout progress as steps: done, current, still to come.

The labels are the states' own names, so a stepper says exactly what the status
column and the e-mails say. A claim or payout that ended early (rejected,
withdrawn, forfeited) shows the steps it took and the end it came to.
"""

from django.utils.translation import gettext_lazy as _

from cashback.steppers import Step, steps
from claims.models import Claim
from payouts.models import Payout


def claim_steps(claim: Claim) -> list[Step]:
    """Submitted, then reviewed (or an invoice asked for), then decided."""
    status, labels = Claim.Status, Claim.Status
    review = {
        status.INFO_REQUESTED: labels.INFO_REQUESTED.label,
        status.DISPUTED: labels.DISPUTED.label,
    }.get(claim.status, labels.IN_REVIEW.label)
    if claim.status == status.WITHDRAWN:
        return steps([labels.SUBMITTED.label, labels.WITHDRAWN.label], 1, stopped=True)
    if claim.status == status.REJECTED:
        return steps(
            [labels.SUBMITTED.label, review, labels.REJECTED.label], 2, stopped=True
        )
    current = {
        status.SUBMITTED: 0,
        status.IN_REVIEW: 1,
        status.INFO_REQUESTED: 1,
        status.DISPUTED: 1,
        status.APPROVED: 2,
    }[claim.status]
    return steps([labels.SUBMITTED.label, review, labels.APPROVED.label], current)


PAYOUT_PATH = [
    Payout.Status.AWAITING_BANK_DETAILS,
    Payout.Status.READY,
    Payout.Status.SCHEDULED,
    Payout.Status.IN_BATCH,
    Payout.Status.PAID,
]


def payout_steps(payout: Payout) -> list[Step]:
    """Bank details, ready, scheduled, with the bank, paid; a failed payment
    stops at the bank's step; any other end off the path (forfeited,
    cancelled, a state added later) is one stopped step with its own name."""
    status = Payout.Status
    if payout.status not in PAYOUT_PATH and payout.status != status.FAILED:
        return steps([status(payout.status).label], 0, stopped=True)
    labels = [
        _("Bank details") if state == status.AWAITING_BANK_DETAILS else state.label
        for state in PAYOUT_PATH
    ]
    if payout.status == status.FAILED:
        labels[3] = status.FAILED.label
        return steps(labels, 3, stopped=True)
    current = PAYOUT_PATH.index(payout.status)
    if current == 0:
        labels[0] = status.AWAITING_BANK_DETAILS.label
    return steps(labels, current)

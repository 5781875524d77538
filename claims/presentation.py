"""Claim states and events in the plain words a reseller reads."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cashback.links import path_of

from .models import Claim, ClaimEvent

S = Claim.Status
K = ClaimEvent.Kind

NEXT_STEPS = {
    S.SUBMITTED: _("Nothing to do now: a reviewer will check the claim."),
    S.IN_REVIEW: _("Nothing to do now: a reviewer is checking the claim."),
    S.INFO_REQUESTED: _("Upload a copy of the customer invoice on the claim page."),
    S.APPROVED: _("Submit or confirm your bank details when we e-mail you."),
    S.REJECTED: _("Read the reason. You can dispute it once within 30 days."),
    S.WITHDRAWN: _("Nothing more: the claim was withdrawn."),
    S.DISPUTED: _("Nothing to do now: a reviewer is looking at the claim again."),
}

EVENT_WORDS = {
    K.FILED: _("Your company filed the claim."),
    K.REVIEW_STARTED: _("A reviewer started checking the claim."),
    K.INVOICE_REQUESTED: _("The reviewer asked for a copy of the customer invoice."),
    K.INVOICE_UPLOADED: _("Your company uploaded the invoice copy."),
    K.APPROVED: _("The claim was approved."),
    K.REJECTED: _("The claim was rejected."),
    K.WITHDRAWN: _("Your company withdrew the claim."),
    K.DISPUTED: _("Your company disputed the rejection."),
    K.APPROVAL_REVERSED: _("The approval was reversed."),
    K.REWARD_ADJUSTED: _("The reward was adjusted."),
    K.NUMBERS_FREED: _("The agreement numbers are free to be claimed again."),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    words: str
    message: str
    by: str


def next_step(claim: Claim) -> str:
    return next_step_of(claim.status, claim.disputed_at)


def next_step_of(status: str, disputed_at: dt.datetime | None) -> str:
    if status == S.REJECTED and disputed_at:
        return str(_("Nothing more: the rejection after your dispute is final."))
    return str(NEXT_STEPS.get(status, ""))


@dataclass(frozen=True)
class ClaimRow:
    """One line of the claim list, its texts ready to print."""

    reference: str
    url: str
    offer_title: str
    created_at: dt.datetime
    status: str
    next_step: str
    # The claim's payout's status ("" before approval), for the portal's
    # `claim_next_step` filter: an approved claim's next step follows it.
    claim_status: str = ""
    payout_status: str = ""


def claim_rows(rows) -> list[ClaimRow]:
    """The list's lines from `selectors.claim_list_values` rows: the status
    words looked up once per page, the claim URL reversed once."""
    labels = {value: str(label) for value, label in S.choices}
    url = path_of("claims:detail", "reference")
    return [
        ClaimRow(
            reference=row.reference,
            url=url(row.reference),
            offer_title=row[4],
            created_at=row.created_at,
            status=labels.get(row.status, row.status),
            next_step=next_step_of(row.status, row.disputed_at),
            claim_status=row.status,
            payout_status=row.payout__status or "",
        )
        for row in rows
    ]


def timeline(claim: Claim) -> list[TimelineEntry]:
    """The events a reseller sees, oldest first; reviewers stay anonymous."""
    entries = []
    for event in claim.events.all():
        if event.kind not in EVENT_WORDS:
            continue
        actor = event.actor
        by = (
            actor.display_name
            if actor and actor.reseller_id == claim.reseller_id
            else ""
        )
        message = event.message_in_words if event.kind != K.INVOICE_UPLOADED else ""
        entries.append(
            TimelineEntry(event.created_at, str(EVENT_WORDS[event.kind]), message, by)
        )
    return entries

"""`{% load claim_payout %}`: a claim together with its payout, for the claims
app's pages, which cannot import the payouts app (it sits above them).

An approved claim's next step is its payout's (issue 28); the claim page
shows the payout's events on its timeline and links to the payout. The view
reads the payout (issue 33: no statement while rendering); these only word it.
"""

from dataclasses import dataclass
from typing import cast

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from claims.models import Claim
from claims.presentation import ClaimRow, TimelineEntry
from claims.selectors import ClaimPayoutRead
from payouts.models import Payout
from payouts.presentation import payout_event_words, payout_next_step

register = template.Library()


@dataclass(frozen=True)
class ClaimPayout:
    """What the claim page shows of the claim's payout."""

    payout: Payout
    status: str
    next_step: str
    url: str
    timeline: list[TimelineEntry]


def _next_step(claim_status: str, payout_status: str, claim_next_step: str) -> str:
    if claim_status == Claim.Status.APPROVED and payout_status:
        return payout_next_step(payout_status)
    return claim_next_step


@register.filter
def claim_next_step(row: ClaimRow) -> str:
    """A claim list row's next step: its payout's once approved."""
    return _next_step(row.claim_status, row.payout_status, row.next_step)


@register.simple_tag
def claim_payout(
    claim: Claim, read: ClaimPayoutRead | None, claim_next_step: str
) -> ClaimPayout | None:
    """The claim's payout with its words and reseller-facing events, from what
    the view read (`claims.selectors.claim_payout_read`; no query here), or
    None before a payout exists."""
    if read is None:
        return None
    payout = cast(Payout, read.payout)
    entries = []
    for event in read.events:
        words = payout_event_words(event)
        if words:
            entries.append(TimelineEntry(event.created_at, words, "", ""))
    return ClaimPayout(
        payout=payout,
        status=payout.get_status_display(),
        next_step=_next_step(claim.status, payout.status, claim_next_step),
        url=f"{reverse('payouts:list')}?{urlencode({'claim': claim.reference})}",
        timeline=entries,
    )


@register.simple_tag
def claim_timeline(
    timeline: list[TimelineEntry], money: ClaimPayout | None
) -> list[TimelineEntry]:
    """The claim's events and its payout's, oldest first."""
    if money is None:
        return timeline
    return sorted([*timeline, *money.timeline], key=lambda entry: entry.at)

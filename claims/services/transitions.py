"""The claim state machine: which actions each state allows, and the only
writer of a claim's status.

`claim_lock` takes the row lock and checks the action against `TRANSITIONS`;
`claim_move` writes the status and its ClaimEvent (the kernel's
`cashback.transitions.status_move`) and tells the company, in the caller's
transaction.
"""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from cashback.transitions import status_move
from resellers.models import User

from ..models import Claim, ClaimEvent
from .errors import ClaimError
from .notifications import claim_notify

S = Claim.Status

# Which states each action starts from. Reviewer actions on a claim nobody has
# opened yet record "review started" first, in the same transaction, so the
# timeline always reads submitted -> in review -> decision.
TRANSITIONS: dict[str, set[str]] = {
    "start_review": {S.SUBMITTED},
    "request_invoice": {S.SUBMITTED, S.IN_REVIEW},
    "upload_invoice": {S.INFO_REQUESTED},
    "approve": {S.SUBMITTED, S.IN_REVIEW, S.DISPUTED},
    # A reseller who never sends the asked-for invoice can still be answered.
    "reject": {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.DISPUTED},
    "withdraw": {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED},
    "dispute": {S.REJECTED},
    # Corrections (services/corrections.py): an approval is reversed while its
    # payout is not with the bank (payouts refuses it otherwise); a reward is
    # adjusted on any claim that may still be paid.
    "reverse_approval": {S.APPROVED},
    "adjust_reward": {
        S.SUBMITTED,
        S.IN_REVIEW,
        S.INFO_REQUESTED,
        S.APPROVED,
        S.DISPUTED,
    },
}

ACTION_LABELS = {
    "start_review": _("put in review"),
    "request_invoice": _("asked for an invoice copy"),
    "upload_invoice": _("given an invoice copy"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "withdraw": _("withdrawn"),
    "dispute": _("disputed"),
    "reverse_approval": _("reversed"),
    "adjust_reward": _("adjusted"),
}


def claim_can_withdraw(claim: Claim) -> bool:
    return claim.status in TRANSITIONS["withdraw"]


def claim_lock(claim: Claim, action: str) -> Claim:
    """The claim row, locked, after checking `action` is allowed from its state."""
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("offer", "reseller")
        .get(pk=claim.pk)
    )
    if locked.status not in TRANSITIONS[action]:
        raise ClaimError(
            _("%(reference)s is %(status)s; it cannot be %(action)s now.")
            % {
                "reference": locked.reference,
                "status": locked.get_status_display().lower(),
                "action": ACTION_LABELS[action],
            },
            code=ClaimError.Code.TRANSITION_NOT_ALLOWED,
        )
    return locked


def claim_move(
    claim: Claim,
    *,
    to: str,
    kind: str,
    actor: User | None,
    message: str = "",
    reason_code: str = "",
    fields: Iterable[str] = (),
    notify: bool = True,
) -> ClaimEvent:
    """Move a locked claim to `to`: its status (and `fields`, set by the
    caller), the event, and unless `notify` is false the company's e-mail."""
    event = status_move(
        claim,
        to=to,
        event_model=ClaimEvent,
        fields=fields,
        claim=claim,
        kind=kind,
        actor=actor,
        message=message,
        reason_code=reason_code,
    )
    if notify:
        claim_notify(claim, event)
    return event

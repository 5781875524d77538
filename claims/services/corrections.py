"""Corrections of reviewers' decisions: a reversed approval, an adjusted
reward (four eyes on a raise), and agreement numbers freed once a rejection
is final.

Each is one transaction on the locked claim with its ClaimEvent and the
company's e-mail (`transitions.claim_move`). Where the payout must follow, the
payouts app does it on a domain signal sent inside the same transaction
(claims imports nothing of payouts); its refusal, a PortalError, rolls the
whole correction back and reaches the caller as a ClaimError.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.errors import PortalError
from resellers.models import User

from ..models import (
    Claim,
    ClaimAgreement,
    ClaimEvent,
    CorrectionReason,
    RejectionReason,
    RewardAdjustment,
)
from ..signals import claim_approval_reversed, claim_reward_adjusted
from .access import require_impartial, require_reviewer
from .errors import ClaimError
from .notifications import claim_notify
from .transitions import S, claim_lock, claim_move


def _reason(reason_code: str, reason: str, codes) -> str:
    reason = (reason or "").strip()
    if reason_code not in codes:
        raise ClaimError(
            _("Give the reason for the correction."),
            field="reason_code",
            code=ClaimError.Code.REASON_REQUIRED,
        )
    if reason_code == "other" and not reason:
        raise ClaimError(
            _("Explain the reason for “Other”."),
            field="reason",
            code=ClaimError.Code.REASON_REQUIRED,
        )
    return reason


def _as_claim_error(error: PortalError) -> ClaimError:
    """A refusal from a receiver (the payouts app), as this app's error."""
    if isinstance(error, ClaimError):
        return error
    return ClaimError(error.error_dict)


# Reversing an approval -------------------------------------------------------


def claim_approval_reverse(
    *,
    claim: Claim,
    actor: User,
    reason_code: str,
    reason: str = "",
    to: str = S.IN_REVIEW,
) -> Claim:
    """Take back an approval while the payment is not with the bank: the claim
    goes back to review (a correction reason) or to rejected (a rejection
    reason, with a new dispute window), the payout is cancelled, the company
    is told why. A payout in a released batch refuses it."""
    require_reviewer(actor)
    if to == S.REJECTED:
        reason = _reason(reason_code, reason, RejectionReason.values)
    elif to == S.IN_REVIEW:
        reason = _reason(reason_code, reason, CorrectionReason.values)
    else:
        raise ValueError(f"An approval is reversed to review or rejection, not {to}.")
    try:
        with transaction.atomic():
            claim = claim_lock(claim, "reverse_approval")
            require_impartial(claim, actor)
            fields = ["reviewer"]
            claim.reviewer = actor
            if to == S.REJECTED:
                claim.decided_at = timezone.now()
                claim.decision_reason_code = reason_code
                claim.decision_reason = reason
                fields += ["decided_at", "decision_reason_code", "decision_reason"]
            else:
                claim.decided_at = None
                claim.decision_reason_code = ""
                claim.decision_reason = ""
                fields += ["decided_at", "decision_reason_code", "decision_reason"]
            claim_move(
                claim,
                to=to,
                kind=ClaimEvent.Kind.APPROVAL_REVERSED,
                actor=actor,
                message=reason,
                reason_code=reason_code,
                fields=fields,
            )
            claim_approval_reversed.send(
                sender=Claim,
                claim=claim,
                actor=actor,
                reason_code=reason_code,
                reason=reason,
            )
    except PortalError as error:
        raise _as_claim_error(error) from None
    return claim


# Adjusting a reward ------------------------------------------------------------


def adjustment_needs_second_reviewer(*, computed: Decimal, amount: Decimal) -> bool:
    """Four eyes on a raise: above the computed reward, or above the setting
    REWARD_ADJUSTMENT_CONFIRM_ABOVE."""
    limit = Decimal(str(settings.REWARD_ADJUSTMENT_CONFIRM_ABOVE))
    return amount > computed or amount > limit


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ClaimError(
            _("Enter the corrected reward as an amount of 0 or more."),
            field="amount",
            code=ClaimError.Code.INVALID_AMOUNT,
        )
    return amount


def claim_reward_adjust(
    *,
    claim: Claim,
    actor: User,
    amount: Decimal,
    reason_code: str,
    reason: str = "",
) -> RewardAdjustment:
    """A reviewer corrects the reward with a reason. A cut (or an amount up to
    the computed reward and the limit) applies at once; a raise waits for a
    second reviewer (`claim_reward_adjustment_confirm`). An earlier adjustment
    still waiting is replaced."""
    require_reviewer(actor)
    amount = _amount(amount)
    reason = _reason(reason_code, reason, CorrectionReason.values)
    try:
        with transaction.atomic():
            claim = claim_lock(claim, "adjust_reward")
            require_impartial(claim, actor)
            if claim.reward_amount is None:
                raise ClaimError(
                    _(
                        "%(reference)s has no computed reward yet: re-run the "
                        "validation first."
                    )
                    % {"reference": claim.reference},
                    code=ClaimError.Code.NO_REWARD,
                )
            RewardAdjustment.objects.filter(
                claim=claim, status=RewardAdjustment.Status.PENDING
            ).update(status=RewardAdjustment.Status.SUPERSEDED)
            adjustment = RewardAdjustment.objects.create(
                claim=claim,
                computed_amount=claim.reward_amount,
                amount=amount,
                currency=claim.reward_currency,
                reason_code=reason_code,
                reason=reason,
                requested_by=actor,
            )
            if adjustment_needs_second_reviewer(
                computed=claim.reward_amount, amount=amount
            ):
                # Nothing changes for the company until it is confirmed.
                ClaimEvent.objects.create(
                    claim=claim,
                    kind=ClaimEvent.Kind.ADJUSTMENT_REQUESTED,
                    from_status=claim.status,
                    to_status=claim.status,
                    actor=actor,
                    message=reason,
                    reason_code=reason_code,
                    computed_amount=claim.reward_amount,
                    adjusted_amount=amount,
                )
            else:
                _apply(claim, adjustment, actor)
    except PortalError as error:
        raise _as_claim_error(error) from None
    return adjustment


def claim_reward_adjustment_confirm(
    *, adjustment: RewardAdjustment, actor: User
) -> RewardAdjustment:
    """A second reviewer confirms a raised reward (four eyes): never the one
    who proposed it."""
    require_reviewer(actor)
    try:
        with transaction.atomic():
            claim = claim_lock(adjustment.claim, "adjust_reward")
            require_impartial(claim, actor)
            adjustment = RewardAdjustment.objects.select_for_update().get(
                pk=adjustment.pk
            )
            if adjustment.status != RewardAdjustment.Status.PENDING:
                raise ClaimError(
                    _("This adjustment is no longer waiting for a confirmation."),
                    code=ClaimError.Code.NOT_PENDING,
                )
            if adjustment.requested_by_id == actor.pk:
                raise ClaimError(
                    _("Four eyes: another reviewer must confirm your adjustment."),
                    code=ClaimError.Code.FOUR_EYES,
                )
            adjustment.confirmed_by = actor
            adjustment.confirmed_at = timezone.now()
            _apply(claim, adjustment, actor)
    except PortalError as error:
        raise _as_claim_error(error) from None
    return adjustment


def _apply(claim: Claim, adjustment: RewardAdjustment, actor: User) -> None:
    """The adjusted amount becomes the reward to pay: event, e-mail, and the
    payout's amount (on the signal) when the claim is approved."""
    adjustment.status = RewardAdjustment.Status.APPLIED
    adjustment.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    claim.adjusted_reward_amount = adjustment.amount
    claim.save(update_fields=["adjusted_reward_amount", "updated_at"])
    event = ClaimEvent(
        claim=claim,
        kind=ClaimEvent.Kind.REWARD_ADJUSTED,
        from_status=claim.status,
        to_status=claim.status,
        actor=actor,
        message=adjustment.reason,
        reason_code=adjustment.reason_code,
        computed_amount=adjustment.computed_amount,
        adjusted_amount=adjustment.amount,
    )
    event.save()
    claim_notify(claim, event)
    if claim.status == S.APPROVED:
        claim_reward_adjusted.send(
            sender=Claim,
            claim=claim,
            actor=actor,
            reason_code=adjustment.reason_code,
            reason=adjustment.reason,
        )


# Freeing the numbers of a final rejection --------------------------------------


def claim_numbers_free(*, claim: Claim) -> int:
    """Free the agreement numbers of a locked, finally rejected claim so the
    company that sold them can claim them; the duplicate attempts made
    against it stay on record. Returns how many numbers were freed."""
    freed = ClaimAgreement.objects.filter(claim=claim, is_active=True).update(
        is_active=False
    )
    if freed:
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.NUMBERS_FREED,
            from_status=claim.status,
            to_status=claim.status,
        )
    return freed


def claims_free_final_rejections(*, now: dt.datetime | None = None) -> int:
    """Free the numbers of every rejection that became final by `now`
    (`Claim.objects.finally_rejected`); the daily job. Returns the count of
    claims whose numbers were freed."""
    now = now or timezone.now()
    ids = list(
        Claim.objects.finally_rejected(now)
        .filter(agreements__is_active=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    done = 0
    for claim_id in ids:
        with transaction.atomic():
            claim = (
                Claim.objects.select_for_update(of=("self",))
                .finally_rejected(now)
                .filter(pk=claim_id)
                .first()
            )
            if claim is not None and claim_numbers_free(claim=claim):
                done += 1
    return done

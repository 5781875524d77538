"""Corrections on payouts: cancelling one before its batch is released, and
the payout's side of a claim's corrections (a reversed approval cancels it,
an adjusted reward changes its amount).

A payout in a released batch is with the bank: nothing here changes it. A
draft batch is locked before the payout (the order `batch_release` takes
them in), so a correction racing a release either goes first, and the
payout leaves the draft, or waits and is refused: never both.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from cashback.money import money
from cashback.outbox import outbox_email_enqueue
from cashback.reasons import reason_words_require
from claims.models import Claim, CorrectionReason, reason_in_words
from resellers.models import User
from resellers.selectors import recipients_by_language

from ..models import PaymentBatch, Payout, PayoutEvent
from .errors import PayoutError
from .notifications import payout_email_context, payouts_list_link
from .transitions import S, payout_move, transition_refuse

CANCELLED_TEMPLATE = "emails/payout_cancelled"


def _released_refusal() -> PayoutError:
    return PayoutError(
        _(
            "The payment is already with the bank (its batch is released); it "
            "cannot be changed any more."
        ),
        code=PayoutError.Code.BATCH_RELEASED,
    )


def _lock_with_batch(payout_id: int) -> Payout:
    """The payout row locked, after its draft batch's row (if any).

    The batch is read first without a lock and locked before the payout, as
    `batch_release` does; a payout that moved to another batch meanwhile is
    read again.
    """
    while True:
        batch_id = (
            Payout.objects.filter(pk=payout_id).values_list("batch_id", flat=True).get()
        )
        if batch_id is not None:
            PaymentBatch.objects.select_for_update().filter(pk=batch_id).first()
        locked = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("claim", "reseller", "offer", "batch")
            .get(pk=payout_id)
        )
        if locked.batch_id == batch_id:
            return locked


def _require_changeable(payout: Payout) -> None:
    """Refuse a payout whose money is with the bank or already settled."""
    if payout.status == S.IN_BATCH or (
        payout.batch is not None
        and payout.batch.status != PaymentBatch.Status.DRAFT
        and payout.status == S.SCHEDULED
    ):
        raise _released_refusal()


def _leave_draft_batch(payout: Payout) -> None:
    """Take a locked payout out of its draft batch, lowering the batch total."""
    if payout.batch_id is None or payout.batch.status != PaymentBatch.Status.DRAFT:
        return
    PaymentBatch.objects.filter(pk=payout.batch_id).update(
        total_amount=F("total_amount") - (payout.payout_amount or Decimal(0))
    )
    payout.batch = None


def _reason_check(reason_code: str, reason: str) -> str:
    return reason_words_require(
        code=reason_code,
        words=reason,
        codes=CorrectionReason.values,
        error=PayoutError,
        missing_code=_("Give the reason for the correction."),
    )


def _cancel(
    payout: Payout, *, actor: User | None, reason_code: str, reason: str
) -> PayoutEvent:
    _require_changeable(payout)
    transition_refuse(payout.status, S.CANCELLED, None)
    _leave_draft_batch(payout)
    return payout_move(
        payout,
        to=S.CANCELLED,
        kind=PayoutEvent.Kind.CANCELLED,
        actor=actor,
        message=reason,
        reason_code=reason_code,
        fields=["batch"],
    )


def payout_cancel(
    *, payout: Payout, actor: User, reason_code: str, reason: str = ""
) -> Payout:
    """An operator cancels a payout before its batch is released, with a
    reason the company reads in its language. A cancelled payout never enters
    a batch and gets no reminder (both only take other states)."""
    reason = _reason_check(reason_code, reason)
    with transaction.atomic():
        locked = _lock_with_batch(payout.pk)
        _cancel(locked, actor=actor, reason_code=reason_code, reason=reason)
        _cancelled_notice(locked, reason_code=reason_code, reason=reason)
    return locked


def _cancelled_notice(payout: Payout, *, reason_code: str, reason: str) -> None:
    """Tell the company's users, each in their language, why it was cancelled."""
    context = payout_email_context(
        reference=payout.claim.reference,
        amount=payout.amount,
        currency=payout.currency,
        company=payout.reseller.legal_name,
        link=payouts_list_link(),
        list_link=payouts_list_link(),
        reason=lazy(reason_in_words, str)(reason_code, reason),
    )
    languages = recipients_by_language(reseller_ids=[payout.reseller_id])[
        payout.reseller_id
    ]
    for language, emails in sorted(languages.items()):
        outbox_email_enqueue(
            dedup_key=f"payout:{payout.pk}:cancelled:{language}",
            recipients=emails,
            template=CANCELLED_TEMPLATE,
            context=context,
            language=language,
        )


# Receivers of the claims app's correction signals -------------------------


def on_claim_approval_reversed(
    sender, *, claim: Claim, actor=None, reason_code: str = "", reason: str = "", **kw
) -> None:
    """Receiver of claims.signals.claim_approval_reversed, in the reversing
    transaction: the payout is cancelled, or the reversal refused when the
    payment is already with the bank. The claim's own e-mail tells the
    company, so the payout sends none."""
    if not Payout.objects.filter(claim_id=claim.pk).exists():
        return
    payout_id = Payout.objects.values_list("pk", flat=True).get(claim_id=claim.pk)
    locked = _lock_with_batch(payout_id)
    if locked.status in {S.PAID, S.FAILED}:
        raise _released_refusal()
    if locked.status == S.CANCELLED:
        return  # an operator cancelled it already: nothing left to stop
    _cancel(locked, actor=actor, reason_code=reason_code, reason=reason)


def on_claim_reward_adjusted(
    sender, *, claim: Claim, actor=None, reason_code: str = "", reason: str = "", **kw
) -> None:
    """Receiver of claims.signals.claim_reward_adjusted, in the adjusting
    transaction: an open payout pays the adjusted amount (converted at its
    rate when it pays in another currency); one with the bank refuses."""
    payout_id = (
        Payout.objects.filter(claim_id=claim.pk).values_list("pk", flat=True).first()
    )
    if payout_id is None:
        return
    locked = _lock_with_batch(payout_id)
    if locked.status in {S.PAID, S.FAILED}:
        raise _released_refusal()
    _require_changeable(locked)
    if locked.status in {S.CANCELLED, S.FORFEITED}:
        raise PayoutError(
            _("This payout is %(status)s; its amount cannot change.")
            % {"status": locked.get_status_display().lower()},
            code=PayoutError.Code.TRANSITION_NOT_ALLOWED,
        )
    amount = claim.reward_to_pay
    before = locked.amount
    locked.amount = amount
    fields = ["amount", "updated_at"]
    if locked.exchange_rate is not None and locked.payout_amount is not None:
        converted = (amount * locked.exchange_rate).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        if locked.batch is not None:
            PaymentBatch.objects.filter(pk=locked.batch_id).update(
                total_amount=F("total_amount") - locked.payout_amount + converted
            )
        locked.payout_amount = converted
        fields.append("payout_amount")
    locked.save(update_fields=fields)
    PayoutEvent.objects.create(
        payout=locked,
        kind=PayoutEvent.Kind.AMOUNT_ADJUSTED,
        from_status=locked.status,
        to_status=locked.status,
        actor=actor,
        message=(
            f"{money(before, locked.currency)} -> {money(amount, locked.currency)}"
        ),
        reason_code=reason_code,
    )

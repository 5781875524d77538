"""Payment batches: built by one operator, released by another (four eyes)
as a validated pain.001 file, sent to the bank's outbound folder after commit
(`batch_payments_record`), closed when the bank has settled every payout."""

import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cashback.clock import program_today
from cashback.tasks_util import enqueue_after_commit
from resellers.models import User

from ..bank.models import BatchPayment
from ..crypto import account_number_decrypt, payment_file_encrypt
from ..models import (
    BatchChangeReason,
    PaymentBatch,
    Payout,
    PayoutEvent,
    batch_reason_in_words,
)
from ..pain001 import CreditTransfer, pain001_build
from .errors import PayoutError
from .holds import account_payment_block, account_payment_refuse_if_blocked
from .transitions import S, SetStep, batch_status_write, payouts_move_set

# The task that puts a released batch's file in the bank's outbound folder
# (payouts/tasks.py registers it under this name).
SEND_FILE_TASK = "payouts.send_batch_file"


def batch_create(
    *, currency: str, payouts: Sequence[Payout] | Iterable[int], operator: User
) -> PaymentBatch:
    """A draft batch of scheduled payouts of one currency, built by `operator`."""
    ids = [p.pk if isinstance(p, Payout) else int(p) for p in payouts]
    if not ids:
        raise PayoutError(
            _("Select at least one scheduled payout."),
            code=PayoutError.Code.EMPTY_SELECTION,
        )
    with transaction.atomic():
        locked = list(
            Payout.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("bank_account__reseller")
            .order_by("pk")
        )
        now = timezone.now()
        for payout in locked:
            if payout.status != S.SCHEDULED:
                raise PayoutError(
                    _("Payout %(id)s is not scheduled (%(status)s).")
                    % {"id": payout.pk, "status": payout.get_status_display()},
                    code=PayoutError.Code.NOT_SCHEDULED,
                )
            if payout.payout_currency != currency:
                raise PayoutError(
                    _("Payout %(id)s is paid in %(currency)s, not %(batch)s.")
                    % {
                        "id": payout.pk,
                        "currency": payout.payout_currency,
                        "batch": currency,
                    },
                    code=PayoutError.Code.WRONG_CURRENCY,
                )
            if payout.batch_id is not None:
                raise PayoutError(
                    _("Payout %(id)s is already in batch %(batch)s.")
                    % {"id": payout.pk, "batch": payout.batch_id},
                    code=PayoutError.Code.ALREADY_IN_BATCH,
                )
            account_payment_refuse_if_blocked(payout, now=now)
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        batch = PaymentBatch.objects.create(
            currency=currency,
            message_id=f"CB-{stamp}-{secrets.token_hex(4)}",
            created_by=operator,
            total_amount=sum((p.payout_amount for p in locked), Decimal(0)),
        )
        Payout.objects.filter(pk__in=[p.pk for p in locked]).update(
            batch=batch, updated_at=timezone.now()
        )
    return batch


def batch_release(*, batch: PaymentBatch, operator: User) -> PaymentBatch:
    """Release a draft batch (four eyes): write its validated pain.001 file.

    The batch row is locked, so two releases at once produce one file. A
    payout whose account may not be paid now (holds.account_payment_block: a
    shared number, a frozen account, ...) is taken out, scheduled and free
    for a later batch, instead of failing the whole batch (issue 27); the
    returned batch lists them in `skipped` (payout, reason) for the
    operator's message. A batch whose every payout is held is not released.
    """
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PaymentBatch.Status.DRAFT:
            raise PayoutError(
                _("This batch has already been released."),
                code=PayoutError.Code.BATCH_RELEASED,
            )
        if locked.created_by_id == operator.pk:
            raise PayoutError(
                _("Four eyes: the batch must be released by another operator."),
                code=PayoutError.Code.FOUR_EYES,
            )
        payouts = list(
            Payout.objects.select_for_update(of=("self",))
            .filter(batch=locked)
            .select_related("bank_account__reseller", "claim", "reseller")
            .order_by("pk")
        )
        if not payouts:
            raise PayoutError(
                _("The batch is empty."), code=PayoutError.Code.BATCH_EMPTY
            )
        now = timezone.now()
        skipped = [
            (payout, reason)
            for payout in payouts
            if (reason := account_payment_block(payout.bank_account, now=now))
        ]
        if len(skipped) == len(payouts):
            account_payment_refuse_if_blocked(payouts[0], now=now)
        if skipped:
            payouts_move_set(
                Payout.objects.filter(pk__in=[p.pk for p, _reason in skipped]),
                steps=[SetStep(kind=PayoutEvent.Kind.UNBATCHED, to=S.SCHEDULED)],
                now=now,
                actor=operator,
                message=_("Taken out at release: its account may not be paid yet."),
                batch=None,
            )
            held = {p.pk for p, _reason in skipped}
            payouts = [p for p in payouts if p.pk not in held]
        transfers = [
            CreditTransfer(
                end_to_end_id=p.claim.reference,
                name=p.bank_account.beneficiary_name,
                account_number=account_number_decrypt(
                    p.bank_account.account_number_encrypted
                ).split(":")[-1],
                is_iban=p.bank_account.is_iban,
                bic=p.bank_account.bic,
                amount=p.payout_amount,
                currency=p.payout_currency,
                remittance=f"{settings.PROGRAM_NAME} {p.claim.reference}",
            )
            for p in payouts
        ]
        execution_date = max(program_today(), max(p.release_date for p in payouts))
        xml = pain001_build(
            message_id=locked.message_id,
            currency=locked.currency,
            execution_date=execution_date,
            transfers=transfers,
        )
        locked.payment_file = payment_file_encrypt(xml.decode())
        locked.released_by = operator
        locked.released_at = now
        locked.total_amount = sum((p.payout_amount for p in payouts), Decimal(0))
        batch_status_write(
            locked,
            to=PaymentBatch.Status.RELEASED,
            fields=["payment_file", "released_by", "released_at", "total_amount"],
        )
        payouts_move_set(
            Payout.objects.filter(pk__in=[p.pk for p in payouts]),
            steps=[
                SetStep(
                    kind=PayoutEvent.Kind.BATCHED,
                    from_status=S.SCHEDULED,
                    to=S.IN_BATCH,
                )
            ],
            now=now,
            actor=operator,
            message=locked.message_id,
        )
        batch_payments_record(batch=locked, payouts=payouts)
    locked.skipped = skipped
    return locked


# Releasing: the lines of the file, and sending it ------------------------------


def batch_payments_record(*, batch: PaymentBatch, payouts: list[Payout]) -> None:
    """The payments of a batch being released, one line each, in the caller's
    transaction; and the file to the bank's outbound folder after commit."""
    BatchPayment.objects.bulk_create(
        BatchPayment(
            batch=batch,
            payout=payout,
            end_to_end_id=payout.claim.reference,
            amount=payout.payout_amount,
            currency=payout.payout_currency,
        )
        for payout in payouts
    )
    # A broker outage loses nothing: the inbound job sends unsent batches.
    enqueue_after_commit(SEND_FILE_TASK, batch.pk)


# Corrections of a draft batch (R21) -------------------------------------------


def _reason_check(reason_code: str, reason: str) -> str:
    """The reason in words for the events, or a refusal when none is given."""
    if reason_code not in BatchChangeReason.values or (
        reason_code == BatchChangeReason.OTHER and not reason.strip()
    ):
        raise PayoutError(
            _('Choose a reason; with "other", explain it in words.'),
            code=PayoutError.Code.REASON_REQUIRED,
            field="reason",
        )
    return batch_reason_in_words(reason_code, reason)


def _draft_lock(batch_id: int) -> PaymentBatch:
    """The batch row, locked, refused unless it is still a draft.

    `batch_release` locks the same row first, so a change racing a release
    waits for it and then sees a released batch: exactly one of them wins.
    """
    locked = PaymentBatch.objects.select_for_update().get(pk=batch_id)
    if locked.status != PaymentBatch.Status.DRAFT:
        raise PayoutError(
            _("Batch %(batch)s is %(status)s; only a draft batch can be changed.")
            % {"batch": locked.message_id, "status": locked.get_status_display()},
            code=PayoutError.Code.BATCH_RELEASED,
        )
    return locked


def batch_payout_remove(
    *, payout: Payout, operator: User, reason_code: str, reason: str = ""
) -> PaymentBatch:
    """Take a scheduled payout out of its draft batch, with a reason.

    The payout stays scheduled, free for a later batch; the batch's total
    follows. A released batch cannot be changed. The company sees nothing
    change (its payout was scheduled and still is), so no notice is sent.
    """
    words = _reason_check(reason_code, reason)
    with transaction.atomic():
        batch_id = (
            Payout.objects.filter(pk=payout.pk).values_list("batch_id", flat=True)
        ).get()
        if batch_id is None:
            raise PayoutError(
                _("Payout %(id)s is in no batch.") % {"id": payout.pk},
                code=PayoutError.Code.NOT_IN_BATCH,
            )
        # Batch first, then payout: the order batch_release locks them in.
        batch = _draft_lock(batch_id)
        locked = Payout.objects.select_for_update(of=("self",)).get(pk=payout.pk)
        if locked.batch_id != batch.pk:
            raise PayoutError(
                _("Payout %(id)s is no longer in batch %(batch)s.")
                % {"id": payout.pk, "batch": batch.message_id},
                code=PayoutError.Code.NOT_IN_BATCH,
            )
        now = timezone.now()
        payouts_move_set(
            Payout.objects.filter(pk=locked.pk),
            steps=[SetStep(kind=PayoutEvent.Kind.UNBATCHED, to=S.SCHEDULED)],
            now=now,
            actor=operator,
            message=words,
            batch=None,
        )
        _batch_total_refresh(batch)
    return batch


def batch_cancel(
    *, batch: PaymentBatch, operator: User, reason_code: str, reason: str = ""
) -> PaymentBatch:
    """Cancel a draft batch, with a reason: every payout in it goes back to
    scheduled outside any batch (an event each), the batch is kept as
    cancelled with who, when and why. A released batch cannot be cancelled."""
    words = _reason_check(reason_code, reason)
    with transaction.atomic():
        locked = _draft_lock(batch.pk)
        payouts = list(
            Payout.objects.select_for_update(of=("self",))
            .filter(batch=locked)
            .order_by("pk")
            .values_list("pk", "reseller_id", named=True)
        )
        now = timezone.now()
        if payouts:
            payouts_move_set(
                Payout.objects.filter(pk__in=[p.pk for p in payouts]),
                steps=[SetStep(kind=PayoutEvent.Kind.UNBATCHED, to=S.SCHEDULED)],
                now=now,
                actor=operator,
                message=words,
                batch=None,
            )
        locked.cancelled_by = operator
        locked.cancelled_at = now
        locked.cancel_reason_code = reason_code
        locked.cancel_reason = reason.strip()
        locked.total_amount = Decimal(0)
        batch_status_write(
            locked,
            to=PaymentBatch.Status.CANCELLED,
            fields=[
                "cancelled_by",
                "cancelled_at",
                "cancel_reason_code",
                "cancel_reason",
                "total_amount",
            ],
        )
    return locked


def _batch_total_refresh(batch: PaymentBatch) -> None:
    """Store the sum of the batch's payouts as its total (batch row locked)."""
    amounts = Payout.objects.filter(batch=batch).values_list("payout_amount", flat=True)
    batch.total_amount = sum(amounts, Decimal(0))
    batch.save(update_fields=["total_amount"])

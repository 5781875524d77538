"""What the bank's own messages do to payouts (R13, R15, R22).

`bank_message_apply` is the `apply` step of the inbound job (payouts/bank/
inbound.py): it runs inside the file's transaction with the batches and
payouts the message names already locked, so a file that fails midway changes
nothing. Per payment:

- pain.002 ACCP/ACSP/ACSC: the bank accepted it (an event; not paid yet);
- pain.002 RJCT for the reseller's side (reason_codes.Side.RESELLER): failed,
  then a new cycle of notice and reminders with the reason in the company's
  language, and the account it was sent to is refused (holds.py: never paid
  again, the company's other unpaid payouts on it back to waiting for
  details); for the vendor's side (funds, file): back to scheduled, out of its
  batch, and the operators are alerted; a group RJCT rejects the whole batch;
  a duplicate (DUPL, AM05) is a refused copy: the first stands, nothing moves;
- camt.054 / camt.053 booked debit: paid on the bank's booking date with its
  reference, unless the amount or currency disagrees (then listed for the
  operators, not applied);
- pacs.004: a paid transfer came back: failed with the return reason and a
  new cycle, and its account refused as for a reseller-side RJCT.

Every payment the bank names becomes a PayoutEvent on the payout's timeline;
every line of a released batch (BatchPayment) keeps the bank's latest word for
the reconciliation view.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cashback.outbox import outbox_email_enqueue
from resellers.models import User

from ..bank.inbound import (
    InboundContext,
    InboundResult,
    bank_content_read,
    bank_upload_record,
    inbound_files_read,
)
from ..bank.messages import (
    CAMT053,
    CAMT054,
    PACS004,
    PAIN002,
    REJECTED,
    BankFileError,
)
from ..bank.messages import BankPayment as Payment
from ..bank.models import BankDiscrepancy, BatchPayment, InboundBankFile
from ..bank.reason_codes import Side, is_duplicate, reason_lookup
from ..crypto import bank_file_decrypt, bank_file_encrypt
from ..models import PaymentBatch, Payout, PayoutEvent
from ..signals import payout_paid, payout_returned
from .errors import PayoutError
from .holds import bank_account_refuse
from .opening import payout_cycle_restart
from .scheduling import OPERATORS_GROUP
from .transitions import (
    S,
    batch_close_if_done,
    batch_status_write,
    payout_lock,
    payout_move,
)

logger = logging.getLogger(__name__)

A = BatchPayment.Answer
K = PayoutEvent.Kind
ALERT_TEMPLATE = "emails/bank_alert"
CONFIRM_BANK_FILE_PERMISSION = "payouts.confirm_bank_file"


# Entry points ----------------------------------------------------------------


def bank_files_read() -> list[InboundResult]:
    """Read each new file of the bank's inbound folder once and apply it."""
    return inbound_files_read(apply=bank_message_apply)


def bank_file_upload(*, name: str, content: bytes, operator: User) -> InboundResult:
    """A bank file an operator received by other means: recorded with its
    uploader and kept encrypted, waiting for a second operator
    (`bank_file_confirm`); a file that cannot be read, or was read already, is
    refused at once. Nothing is applied yet."""
    with transaction.atomic():
        result = bank_upload_record(
            name=name,
            content=content,
            content_encrypted=bank_file_encrypt(content),
            uploaded_by=operator,
        )
    return result


def bank_file_confirm(*, file: InboundBankFile, operator: User) -> InboundResult:
    """A second operator confirms an uploaded bank file (four eyes): never the
    operator who uploaded it. Then it is read and applied exactly as a file of
    the bank's inbound folder is, or refused with its reason."""
    if not operator.has_perm(CONFIRM_BANK_FILE_PERMISSION):
        raise PayoutError(
            _("You may not confirm bank files."), code=PayoutError.Code.NOT_PERMITTED
        )
    with transaction.atomic():
        locked = InboundBankFile.objects.select_for_update().filter(pk=file.pk).first()
        if locked is None or locked.status != InboundBankFile.Status.AWAITING:
            raise PayoutError(
                _("The file %(name)s is not waiting for a second operator.")
                % {"name": file.name},
                code=PayoutError.Code.BANK_FILE_NOT_AWAITING,
            )
        if locked.uploaded_by_id == operator.pk:
            raise PayoutError(
                _("Four eyes: another operator must confirm the file you uploaded."),
                code=PayoutError.Code.FOUR_EYES,
            )
        locked.confirmed_by, locked.confirmed_at = operator, timezone.now()
        locked.save(update_fields=["confirmed_by", "confirmed_at"])
        return bank_content_read(
            name=locked.name,
            content=bank_file_decrypt(locked.content_encrypted),
            apply=bank_message_apply,
            awaiting=locked,
        )


# Applying one message ----------------------------------------------------------


@dataclass
class _Alerts:
    """What the operators must hear about one file."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


def bank_message_apply(context: InboundContext) -> None:
    """Apply one bank message to the payouts it names (see the module doc).

    A move the state machine refuses refuses the whole file (BankFileError):
    the file's transaction rolls back, nothing of it is half-applied.
    """
    try:
        _message_apply(context)
    except PayoutError as error:
        raise BankFileError("not_applicable", str(error)) from None


def _message_apply(context: InboundContext) -> None:
    alerts = _Alerts()
    kind = context.message.kind
    if kind == PAIN002:
        _status_report_apply(context, alerts)
    elif kind in (CAMT054, CAMT053):
        _entries_apply(context, alerts)
    elif kind == PACS004:
        for payment in context.message.payments:
            _returned_payment_check(context, payment, alerts)
    if alerts.lines:
        _operators_alert(context, alerts)


def _line(payout: Payout, batch_id: int | None) -> BatchPayment | None:
    if batch_id is None:
        return None
    return (
        BatchPayment.objects.select_for_update()
        .filter(batch_id=batch_id, payout=payout)
        .first()
    )


def _answer(line: BatchPayment | None, answer: str, code: str = "") -> None:
    """Record the bank's latest word on a line; a later word never goes back
    to an earlier one (an ACCP read after the booking leaves it booked)."""
    if line is None:
        return
    forward = [A.SENT, A.ACCEPTED, A.BOOKED, A.RETURNED]
    if (
        answer in forward
        and line.answer in forward
        and forward.index(answer) <= forward.index(line.answer)
    ):
        return
    line.answer = answer
    line.reason_code = code[:35]
    line.answered_at = timezone.now()
    line.save(update_fields=["answer", "reason_code", "answered_at"])


def _note(payout: Payout, kind: str, message: str, **event_fields) -> None:
    """An event that records what the bank said without moving the payout."""
    PayoutEvent.objects.create(
        payout=payout,
        kind=kind,
        from_status=payout.status,
        to_status=payout.status,
        message=message,
        **event_fields,
    )


def _where(context: InboundContext) -> str:
    return f"{context.message.message_type} {context.message.message_id}"


# pain.002 ----------------------------------------------------------------------


def _status_report_apply(context: InboundContext, alerts: _Alerts) -> None:
    message = context.message
    batch = context.batches[message.original_message_id]
    group_rejected = message.group_status == REJECTED
    if group_rejected and is_duplicate(message.group_reason_code):
        alerts.add(
            _(
                "The bank refused a copy of payment file %(batch)s as a duplicate "
                "(%(code)s); the copy it already has stands, nothing was changed."
            )
            % {"batch": batch.message_id, "code": message.group_reason_code}
        )
        for payout in Payout.objects.filter(batch=batch).order_by("pk"):
            _note(payout, K.BANK_CONFIRMED, _where(context))
        return
    for payment in message.payments:
        payout = context.payout_for(payment)
        if group_rejected or payment.is_rejected:
            code = payment.reason_code or message.group_reason_code
            _rejection_apply(context, payout, code, payment.reason_text, alerts)
        elif payment.is_accepted:
            _answer(_line(payout, payout.batch_id), A.ACCEPTED)
            _note(payout, K.BANK_ACCEPTED, _where(context))
        else:
            _note(payout, K.BANK_CONFIRMED, f"{_where(context)}: {payment.status}")
    if group_rejected:
        # The whole file: what the report did not list goes back as well.
        named = {p.end_to_end_id for p in message.payments}
        rest = (
            Payout.objects.select_for_update(of=("self",))
            .filter(batch=batch, status=S.IN_BATCH)
            .exclude(claim__reference__in=named)
            .select_related("claim", "reseller")
            .order_by("pk")
        )
        for payout in rest:
            _rejection_apply(
                context,
                payout,
                message.group_reason_code,
                message.group_reason_text,
                alerts,
            )
        _batch_reject(batch, message.group_reason_code)
        alerts.add(
            _("The bank rejected payment file %(batch)s as a whole (%(code)s).")
            % {"batch": batch.message_id, "code": message.group_reason_code or "-"}
        )
    else:
        batch_close_if_done(batch.pk)


def _rejection_apply(
    context: InboundContext, payout: Payout, code: str, text: str, alerts: _Alerts
) -> None:
    """A payment the bank refused: whose side the reason is decides."""
    reason = reason_lookup(code)
    line = _line(payout, payout.batch_id)
    # Stored for the operators as the bank said it; the reseller reads the code
    # in plain words in their own language.
    stated = f"{code} {text}".strip() or "no reason given"
    if is_duplicate(code):
        # A copy of something the bank has: the first stands, its line too.
        _note(payout, K.BANK_CONFIRMED, f"{_where(context)}: {stated}", bank_code=code)
        alerts.add(
            _("%(reference)s: refused as a duplicate (%(code)s); nothing changed.")
            % {"reference": payout.claim.reference, "code": code}
        )
        return
    if payout.status != S.IN_BATCH:
        _note(payout, K.BANK_DISAGREES, f"{_where(context)}: RJCT {stated}")
        alerts.add(
            _("%(reference)s: the bank refused it (%(code)s) but it is %(status)s.")
            % {
                "reference": payout.claim.reference,
                "code": code or "-",
                "status": payout.get_status_display(),
            }
        )
        return
    _answer(line, A.REJECTED, code)
    if reason.side == Side.VENDOR:
        payout.batch = None
        payout_move(
            payout,
            to=S.SCHEDULED,
            kind=K.BANK_REJECTED,
            message=f"{_where(context)}: {stated}",
            fields=["batch"],
            event_fields={"bank_code": code},
        )
        alerts.add(
            _(
                "%(reference)s: refused for the vendor's side, %(code)s (%(words)s); "
                "it is scheduled again for the next batch."
            )
            % {
                "reference": payout.claim.reference,
                "code": code or "-",
                "words": reason.text,
            }
        )
        return
    _fail(payout, kind=K.FAILED, code=code, stated=stated, context=context)


def _fail(
    payout: Payout,
    *,
    kind: str,
    code: str,
    stated: str,
    context: InboundContext,
    bank_date: dt.date | None = None,
) -> None:
    """Failed for the reseller's side, then a new bank-details cycle (R13);
    and the account is refused (issue 15): never paid again, its number not
    taken as a new one, and the company's other unpaid payouts on it back to
    waiting for details. This payout first, so that the refusal finds it
    already waiting and moves only the others; a second refusal of the same
    account changes nothing more."""
    payout.failure_reason = stated
    payout.failure_code = code[:35]
    payout_move(
        payout,
        to=S.FAILED,
        kind=kind,
        message=f"{_where(context)}: {stated}",
        fields=["failure_reason", "failure_code"],
        event_fields={"bank_code": code[:35], "bank_date": bank_date},
    )
    payout_cycle_restart(payout=payout, actor=None)
    if payout.bank_account_id is not None:
        bank_account_refuse(
            account=payout.bank_account,
            reason=stated,
            code=code,
        )


def _batch_reject(batch: PaymentBatch, code: str) -> None:
    if batch.status != PaymentBatch.Status.REJECTED:
        batch_status_write(batch, to=PaymentBatch.Status.REJECTED)


# camt.054 / camt.053 -----------------------------------------------------------


def _entries_apply(context: InboundContext, alerts: _Alerts) -> None:
    for payment in context.message.payments:
        payout = context.payout_for(payment)
        if payout is None:
            _unmatched_apply(context, payment, alerts)
        elif payment.is_return:
            _return_apply(context, payout, payment, alerts)
        elif payment.is_booked_debit:
            _booking_apply(context, payout, payment, alerts)
        else:
            _note(payout, K.BANK_CONFIRMED, f"{_where(context)}: {payment.status}")
    for batch in context.batches.values():
        batch_close_if_done(batch.pk)


def _disagree(
    context: InboundContext,
    payout: Payout | None,
    payment: Payment,
    reason: str,
    alerts: _Alerts,
) -> None:
    BankDiscrepancy.objects.create(
        file=context.file,
        payout=payout,
        end_to_end_id=payment.end_to_end_id[:35],
        bank_amount=payment.amount,
        bank_currency=payment.currency[:3],
        bank_reference=payment.bank_reference[:35],
        reason=reason,
    )
    if payout is not None:
        _note(payout, K.BANK_DISAGREES, f"{_where(context)}: {reason}")
    alerts.add(f"{payment.end_to_end_id or '?'}: {reason}")


def _booking_apply(
    context: InboundContext, payout: Payout, payment: Payment, alerts: _Alerts
) -> None:
    """A booked debit: paid on the bank's booking date, if it is what we sent."""
    expected = (payout.payout_amount, payout.payout_currency)
    if (payment.amount, payment.currency) != expected:
        _disagree(
            context,
            payout,
            payment,
            _(
                "The bank booked %(amount)s %(currency)s; the payout is "
                "%(expected_amount)s %(expected_currency)s. Not applied."
            )
            % {
                "amount": payment.amount,
                "currency": payment.currency or "?",
                "expected_amount": expected[0],
                "expected_currency": expected[1],
            },
            alerts,
        )
        return
    if payout.status == S.PAID:
        _note(
            payout,
            K.BANK_CONFIRMED,
            f"{_where(context)}: {payment.bank_reference}",
            bank_date=payment.booking_date,
        )
        return
    if payout.status != S.IN_BATCH:
        _disagree(
            context,
            payout,
            payment,
            _("The bank booked it, but the payout is %(status)s. Not applied.")
            % {"status": payout.get_status_display()},
            alerts,
        )
        return
    booked_on = payment.booking_date or timezone.localdate()
    payout.paid_at = timezone.make_aware(dt.datetime.combine(booked_on, dt.time()))
    payout.payment_reference = (payment.bank_reference or payout.claim.reference)[:35]
    _answer(_line(payout, payout.batch_id), A.BOOKED)
    payout_move(
        payout,
        to=S.PAID,
        kind=K.PAID,
        message=f"{_where(context)}: {payout.payment_reference}",
        fields=["paid_at", "payment_reference"],
        event_fields={"bank_date": booked_on},
    )
    payout_paid.send(
        sender=Payout, payout=payout, batch_id=payout.batch_id, booked_on=booked_on
    )


def _unmatched_apply(
    context: InboundContext, payment: Payment, alerts: _Alerts
) -> None:
    """An entry that is not a payment waiting for the bank: one of ours that
    has moved on (a return seen again), one naming our file that is not in
    it (listed), or another movement on the account (set aside)."""
    batch = context.batches.get(payment.original_message_id)
    if batch is None or not payment.end_to_end_id:
        return  # fees and other transfers on the account: not ours
    line = (
        BatchPayment.objects.select_for_update()
        .filter(batch=batch, end_to_end_id=payment.end_to_end_id)
        .select_related("payout")
        .first()
    )
    if line is None:
        _disagree(
            context,
            None,
            payment,
            _("It names payment file %(batch)s, which has no payment %(id)s.")
            % {"batch": batch.message_id, "id": payment.end_to_end_id},
            alerts,
        )
        return
    if payment.is_return and line.answer == A.RETURNED:
        code = line.reason_code
        _note(line.payout, K.BANK_CONFIRMED, _where(context), bank_code=code)
        return
    _disagree(
        context,
        line.payout,
        payment,
        _("The bank reports it %(status)s, but the payout has left that batch.")
        % {"status": "booked" if payment.is_booked_debit else payment.status},
        alerts,
    )


# Returns -----------------------------------------------------------------------


def _returned_payment_check(
    context: InboundContext, payment: Payment, alerts: _Alerts
) -> None:
    """A pacs.004 changes a payout only when it names one of our payments by
    its batch's message id and its end-to-end id and returns exactly what was
    sent; anything else is listed for the operators (issue 27: a forged or
    mistaken return must not make a company give its bank details again)."""
    payout = context.payout_for(payment)
    if payout is None:
        _disagree(
            context,
            None,
            payment,
            _(
                "The return names no payment of the portal's payment files "
                "(payment file %(batch)s, end-to-end id %(id)s). Not applied."
            )
            % {
                "batch": payment.original_message_id or "-",
                "id": payment.end_to_end_id or "-",
            },
            alerts,
        )
        return
    expected = (payout.payout_amount, payout.payout_currency)
    if (payment.amount, payment.currency) != expected:
        _disagree(
            context,
            payout,
            payment,
            _(
                "The bank returns %(amount)s %(currency)s; the payout is "
                "%(expected_amount)s %(expected_currency)s. Not applied."
            )
            % {
                "amount": payment.amount if payment.amount is not None else "?",
                "currency": payment.currency or "?",
                "expected_amount": expected[0],
                "expected_currency": expected[1],
            },
            alerts,
        )
        return
    _return_apply(context, payout, payment, alerts)


def _return_apply(
    context: InboundContext, payout: Payout, payment: Payment, alerts: _Alerts
) -> None:
    """A transfer the bank sends back: failed with the return reason. While
    the account it went to is still the company's unrefused account, the
    operators decide (`payout_return_resend` or `payout_return_account_refuse`)
    and the company is not asked for bank details; otherwise a new cycle, and
    the refused account cannot simply be confirmed again (bank_details)."""
    code = payment.return_reason or payment.reason_code
    if payout.status not in (S.PAID, S.IN_BATCH):
        _note(payout, K.BANK_CONFIRMED, _where(context), bank_code=code)
        return
    if context.message.kind != PACS004:
        # A statement's or notification's credit may come before the pacs.004
        # that says why; the return itself is the pacs.004's to apply (which
        # finds the payout still in its batch).
        _note(payout, K.BANK_CONFIRMED, _where(context), bank_code=code)
        return
    was_paid, batch_id = payout.status == S.PAID, payout.batch_id
    line = _line(payout, batch_id)
    _answer(line, A.RETURNED, code)
    account = payout.bank_account
    masked = account.masked_account if account else "-"
    stated = f"{code} {payment.reason_text}".strip()
    if was_paid:
        # The money came back, whoever decides what next: the payment's
        # documents are corrected either way (statements, after the commit).
        payout_returned.send(
            sender=Payout, payout=payout, batch_id=batch_id, reason=stated
        )
    if payout_return_awaits_operator(payout):
        payout.failure_reason = f"{stated}; account {masked} still on file"
        payout.failure_code = code[:35]
        payout_move(
            payout,
            to=S.FAILED,
            kind=K.BANK_RETURNED,
            message=f"{_where(context)}: {payout.failure_reason}",
            fields=["failure_reason", "failure_code"],
            event_fields={"bank_code": code[:35], "bank_date": payment.booking_date},
        )
        alerts.add(
            _(
                "%(reference)s: returned by the bank (%(code)s) from account "
                "%(account)s, which is still on file. An operator decides: pay it "
                "again, or refuse the account and ask the company."
            )
            % {
                "reference": payout.claim.reference,
                "code": code or "-",
                "account": masked,
            }
        )
        return
    _fail(
        payout,
        kind=K.BANK_RETURNED,
        code=code,
        stated=f"{stated}; account {masked} refused",
        context=context,
        bank_date=payment.booking_date,
    )
    alerts.add(
        _("%(reference)s: returned by the bank (%(code)s); the company is asked again.")
        % {"reference": payout.claim.reference, "code": code or "-"}
    )


def payout_return_awaits_operator(payout: Payout) -> bool:
    """Whether a returned payout waits for an operator instead of asking the
    company for bank details: the account it was sent to is still the
    company's current account and nobody refused it."""
    return Payout.objects.filter(pk=payout.pk).to_account_still_on_file().exists()


def _returned_lock(payout: Payout, to: str) -> Payout:
    locked = payout_lock(payout, to=to)
    waiting = Payout.objects.returned_awaiting_decision().filter(pk=locked.pk)
    if not waiting.exists():
        raise PayoutError(
            _("%(reference)s is not a returned payment waiting for a decision.")
            % {"reference": locked.claim.reference},
            code=PayoutError.Code.NOT_AWAITING_DECISION,
        )
    return locked


def payout_return_resend(*, payout: Payout, operator: User, reason: str) -> Payout:
    """An operator decides a returned payment goes again to the same account
    (the bank's return was a passing fault): back to ready, to be scheduled
    and batched again (under the batch's four eyes)."""
    reason = _reason_required(reason)
    with transaction.atomic():
        locked = _returned_lock(payout, S.READY)
        locked.batch = None
        payout_move(
            locked,
            to=S.READY,
            kind=K.RETURN_DECIDED,
            actor=operator,
            message=_("Paid again to the same account: %(reason)s")
            % {"reason": reason},
            fields=["batch"],
        )
    return locked


def payout_return_account_refuse(
    *, payout: Payout, operator: User, reason: str
) -> Payout:
    """An operator decides the account a payment came back from is wrong: it
    is refused and the company is asked for bank details (a new cycle)."""
    reason = _reason_required(reason)
    with transaction.atomic():
        locked = _returned_lock(payout, S.AWAITING_BANK_DETAILS)
        account = locked.bank_account
        payout_cycle_restart(payout=locked, actor=operator)
        bank_account_refuse(
            account=account,
            reason=f"{locked.failure_reason}; {reason}",
            code=locked.failure_code,
            actor=operator,
        )
    return locked


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PayoutError(
            _("Say why."), code=PayoutError.Code.REASON_REQUIRED, field="reason"
        )
    return reason


# Operators ---------------------------------------------------------------------


def _operators_alert(context: InboundContext, alerts: _Alerts) -> None:
    """One e-mail per file to the operators: what needs a person."""
    emails = list(
        User.objects.filter(groups__name=OPERATORS_GROUP, is_active=True, is_staff=True)
        .distinct()
        .values_list("email", flat=True)
    )
    if not emails:
        logger.warning("Bank file %s needs operators; none to tell", context.file)
        return
    outbox_email_enqueue(
        dedup_key=f"payouts:bank-alert:{context.file.pk}",
        recipients=emails,
        template=ALERT_TEMPLATE,
        context={
            "file": context.file.name,
            "message": _where(context),
            "lines": alerts.lines,
            "admin_link": settings.PORTAL_URL.rstrip("/")
            + reverse("admin:payouts_batchreconciliation_changelist"),
        },
        language="en",
    )

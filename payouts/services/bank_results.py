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
  new cycle, and its account refused as for a reseller-side RJCT, unless the
  account is still on file and an operator decides (bank_returns.py).

Every payment the bank names becomes a PayoutEvent on the payout's timeline;
every line of a released batch (BatchPayment) keeps the bank's latest word for
the reconciliation view.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cashback.money import money
from cashback.outbox import outbox_email_enqueue
from resellers.models import User

from ..bank.inbound import (
    InboundContext,
    InboundResult,
    bank_content_read,
    bank_upload_record,
    inbound_files_read,
)
from ..bank.messages import CAMT053, CAMT054, PACS004, PAIN002, REJECTED, BankFileError
from ..bank.messages import BankPayment as Payment
from ..bank.models import BatchPayment, InboundBankFile
from ..bank.reason_codes import Side, is_duplicate, reason_lookup
from ..crypto import bank_file_decrypt, bank_file_encrypt
from ..models import PaymentBatch, Payout, PayoutEvent
from ..signals import payout_paid
from .bank_records import (
    Alerts,
    bank_amount,
    bank_note,
    batch_line_answer,
    batch_line_lock,
    discrepancy_record,
    message_where,
    payout_fail,
)
from .bank_returns import return_apply, returned_payment_check
from .errors import PayoutError
from .scheduling import OPERATORS_GROUP
from .transitions import S, batch_close_if_done, batch_status_write, payout_move

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


# Applying one message --------------------------------------------------------


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
    alerts = Alerts()
    kind = context.message.kind
    if kind == PAIN002:
        _status_report_apply(context, alerts)
    elif kind in (CAMT054, CAMT053):
        _entries_apply(context, alerts)
    elif kind == PACS004:
        for payment in context.message.payments:
            returned_payment_check(context, payment, alerts)
    if alerts.lines:
        _operators_alert(context, alerts)


# pain.002 --------------------------------------------------------------------


def _status_report_apply(context: InboundContext, alerts: Alerts) -> None:
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
            bank_note(payout, K.BANK_CONFIRMED, message_where(context))
        return
    for payment in message.payments:
        payout = context.payout_for(payment)
        if group_rejected or payment.is_rejected:
            code = payment.reason_code or message.group_reason_code
            _rejection_apply(context, payout, code, payment.reason_text, alerts)
        elif payment.is_accepted:
            batch_line_answer(batch_line_lock(payout, payout.batch_id), A.ACCEPTED)
            bank_note(payout, K.BANK_ACCEPTED, message_where(context))
        else:
            bank_note(
                payout, K.BANK_CONFIRMED, f"{message_where(context)}: {payment.status}"
            )
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
    context: InboundContext, payout: Payout, code: str, text: str, alerts: Alerts
) -> None:
    """A payment the bank refused: whose side the reason is decides."""
    reason = reason_lookup(code)
    line = batch_line_lock(payout, payout.batch_id)
    # Stored for the operators as the bank said it; the reseller reads the code
    # in plain words in their own language.
    stated = f"{code} {text}".strip() or "no reason given"
    if is_duplicate(code):
        # A copy of something the bank has: the first stands, its line too.
        bank_note(
            payout,
            K.BANK_CONFIRMED,
            f"{message_where(context)}: {stated}",
            bank_code=code,
        )
        alerts.add(
            _("%(reference)s: refused as a duplicate (%(code)s); nothing changed.")
            % {"reference": payout.claim.reference, "code": code}
        )
        return
    if payout.status != S.IN_BATCH:
        bank_note(payout, K.BANK_DISAGREES, f"{message_where(context)}: RJCT {stated}")
        alerts.add(
            _("%(reference)s: the bank refused it (%(code)s) but it is %(status)s.")
            % {
                "reference": payout.claim.reference,
                "code": code or "-",
                "status": payout.get_status_display(),
            }
        )
        return
    batch_line_answer(line, A.REJECTED, code)
    if reason.side == Side.VENDOR:
        payout.batch = None
        payout_move(
            payout,
            to=S.SCHEDULED,
            kind=K.BANK_REJECTED,
            message=f"{message_where(context)}: {stated}",
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
    payout_fail(payout, kind=K.FAILED, code=code, stated=stated, context=context)


def _batch_reject(batch: PaymentBatch, code: str) -> None:
    if batch.status != PaymentBatch.Status.REJECTED:
        batch_status_write(batch, to=PaymentBatch.Status.REJECTED)


# camt.054 / camt.053 ---------------------------------------------------------


def _entries_apply(context: InboundContext, alerts: Alerts) -> None:
    for payment in context.message.payments:
        payout = context.payout_for(payment)
        if payout is None:
            _unmatched_apply(context, payment, alerts)
        elif payment.is_return:
            return_apply(context, payout, payment, alerts)
        elif payment.is_booked_debit:
            _booking_apply(context, payout, payment, alerts)
        else:
            bank_note(
                payout, K.BANK_CONFIRMED, f"{message_where(context)}: {payment.status}"
            )
    for batch in context.batches.values():
        batch_close_if_done(batch.pk)


def _booking_apply(
    context: InboundContext, payout: Payout, payment: Payment, alerts: Alerts
) -> None:
    """A booked debit: paid on the bank's booking date, if it is what we sent."""
    expected = (payout.payout_amount, payout.payout_currency)
    if (payment.amount, payment.currency) != expected:
        discrepancy_record(
            context,
            payout,
            payment,
            _("The bank booked %(amount)s; the payout is %(expected)s. Not applied.")
            % {"amount": bank_amount(payment), "expected": money(*expected)},
            alerts,
        )
        return
    if payout.status == S.PAID:
        bank_note(
            payout,
            K.BANK_CONFIRMED,
            f"{message_where(context)}: {payment.bank_reference}",
            bank_date=payment.booking_date,
        )
        return
    if payout.status != S.IN_BATCH:
        discrepancy_record(
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
    batch_line_answer(batch_line_lock(payout, payout.batch_id), A.BOOKED)
    payout_move(
        payout,
        to=S.PAID,
        kind=K.PAID,
        message=f"{message_where(context)}: {payout.payment_reference}",
        fields=["paid_at", "payment_reference"],
        event_fields={"bank_date": booked_on},
    )
    payout_paid.send(
        sender=Payout, payout=payout, batch_id=payout.batch_id, booked_on=booked_on
    )


def _unmatched_apply(context: InboundContext, payment: Payment, alerts: Alerts) -> None:
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
        discrepancy_record(
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
        bank_note(line.payout, K.BANK_CONFIRMED, message_where(context), bank_code=code)
        return
    discrepancy_record(
        context,
        line.payout,
        payment,
        _("The bank reports it %(status)s, but the payout has left that batch.")
        % {"status": "booked" if payment.is_booked_debit else payment.status},
        alerts,
    )


# Operators -------------------------------------------------------------------


def _operators_alert(context: InboundContext, alerts: Alerts) -> None:
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
            "message": message_where(context),
            "lines": alerts.lines,
            "admin_link": settings.PORTAL_URL.rstrip("/")
            + reverse("admin:payouts_batchreconciliation_changelist"),
        },
        language="en",
    )

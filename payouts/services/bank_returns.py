"""A paid transfer the bank sends back (pacs.004, R13, issue 27), and the
operators' decision on a return to an account still on file: pay it again
(`payout_return_resend`) or refuse the account and ask the company
(`payout_return_account_refuse`)."""

from django.db import transaction
from django.utils.translation import gettext as _

from cashback.money import money
from cashback.reasons import words_require
from resellers.models import User

from ..bank.inbound import InboundContext
from ..bank.messages import PACS004
from ..bank.messages import BankPayment as Payment
from ..bank.models import BatchPayment
from ..models import Payout, PayoutEvent
from ..signals import payout_returned
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
from .errors import PayoutError
from .holds import bank_account_refuse
from .opening import payout_cycle_restart
from .transitions import S, payout_lock, payout_move

A = BatchPayment.Answer
K = PayoutEvent.Kind


def returned_payment_check(
    context: InboundContext, payment: Payment, alerts: Alerts
) -> None:
    """A pacs.004 changes a payout only when it names one of our payments by
    its batch's message id and its end-to-end id and returns exactly what was
    sent; anything else is listed for the operators (issue 27: a forged or
    mistaken return must not make a company give its bank details again)."""
    payout = context.payout_for(payment)
    if payout is None:
        discrepancy_record(
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
        discrepancy_record(
            context,
            payout,
            payment,
            _("The bank returns %(amount)s; the payout is %(expected)s. Not applied.")
            % {"amount": bank_amount(payment), "expected": money(*expected)},
            alerts,
        )
        return
    return_apply(context, payout, payment, alerts)


def return_apply(
    context: InboundContext, payout: Payout, payment: Payment, alerts: Alerts
) -> None:
    """A transfer the bank sends back: failed with the return reason. While
    the account it went to is still the company's unrefused account, the
    operators decide (`payout_return_resend` or `payout_return_account_refuse`)
    and the company is not asked for bank details; otherwise a new cycle, and
    the refused account cannot simply be confirmed again (bank_details)."""
    code = payment.return_reason or payment.reason_code
    if payout.status not in (S.PAID, S.IN_BATCH):
        bank_note(payout, K.BANK_CONFIRMED, message_where(context), bank_code=code)
        return
    if context.message.kind != PACS004:
        # A statement's or notification's credit may come before the pacs.004
        # that says why; the return itself is the pacs.004's to apply (which
        # finds the payout still in its batch).
        bank_note(payout, K.BANK_CONFIRMED, message_where(context), bank_code=code)
        return
    was_paid, batch_id = payout.status == S.PAID, payout.batch_id
    line = batch_line_lock(payout, batch_id)
    batch_line_answer(line, A.RETURNED, code)
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
            message=f"{message_where(context)}: {payout.failure_reason}",
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
    payout_fail(
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
    reason = words_require(reason, message=_("Say why."), error=PayoutError)
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
    reason = words_require(reason, message=_("Say why."), error=PayoutError)
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

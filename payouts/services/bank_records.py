"""What the portal records of the bank's word on a payout, shared by the
messages (bank_results) and the returns (bank_returns): the line of a
released batch, an event that moves nothing, a disagreement listed for the
operators, the reseller-side failure with its new cycle, and the alerts one
file collects for the operators."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from cashback.money import money

from ..bank.inbound import InboundContext
from ..bank.messages import BankPayment as Payment
from ..bank.models import BankDiscrepancy, BatchPayment
from ..models import Payout, PayoutEvent
from .holds import bank_account_refuse
from .opening import payout_cycle_restart
from .transitions import S, payout_move

A = BatchPayment.Answer
K = PayoutEvent.Kind


@dataclass
class Alerts:
    """What the operators must hear about one file."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


def batch_line_lock(payout: Payout, batch_id: int | None) -> BatchPayment | None:
    """The payout's line in the batch it was released in, locked (none
    outside a batch)."""
    if batch_id is None:
        return None
    return (
        BatchPayment.objects.select_for_update()
        .filter(batch_id=batch_id, payout=payout)
        .first()
    )


def batch_line_answer(line: BatchPayment | None, answer: str, code: str = "") -> None:
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


def bank_note(payout: Payout, kind: str, message: str, **event_fields) -> None:
    """An event that records what the bank said without moving the payout."""
    PayoutEvent.objects.create(
        payout=payout,
        kind=kind,
        from_status=payout.status,
        to_status=payout.status,
        message=message,
        **event_fields,
    )


def message_where(context: InboundContext) -> str:
    """The message as the events name it: its type and id."""
    return f"{context.message.message_type} {context.message.message_id}"


def bank_amount(payment: Payment) -> str:
    """The amount the bank's entry states, as money; "?" when it states none.

    An amount in fractions of a cent (ISO 20022 allows five decimals) is written
    as the bank wrote it: rounded to cents, it could read like the payout's
    amount and hide the very difference the operator is shown."""
    if payment.amount is None:
        return "?"
    if payment.amount != payment.amount.quantize(Decimal("0.01")):
        return f"{payment.amount} {payment.currency}".strip()
    return money(payment.amount, payment.currency or "")


def discrepancy_record(
    context: InboundContext,
    payout: Payout | None,
    payment: Payment,
    reason: str,
    alerts: Alerts,
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
        bank_note(payout, K.BANK_DISAGREES, f"{message_where(context)}: {reason}")
    alerts.add(f"{payment.end_to_end_id or '?'}: {reason}")


def payout_fail(
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
        message=f"{message_where(context)}: {stated}",
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

"""The bank's answers about our own batches, read through the portal's way in
for a file received by hand (services.bank_file_upload by one operator,
bank_file_confirm by a second), for tests that need a payout paid, refused or
returned. Each answer has a message id of its own."""

import datetime as dt
import uuid
from decimal import Decimal

from django.contrib.auth.models import Group, Permission

from payouts.bank import answers
from payouts.bank.inbound import InboundResult
from payouts.bank.models import InboundBankFile
from payouts.models import PaymentBatch, Payout
from payouts.services import bank_file_confirm, bank_file_upload
from tests.resellers.factories import StaffUserFactory

BOOKED_ON = dt.date(2027, 3, 1)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def operator() -> StaffUserFactory:
    """A member of the Operators group (who may upload and confirm bank files)."""
    user = StaffUserFactory()
    # A flushed database (browser tests) has the group's rows from no migration.
    group, _created = Group.objects.get_or_create(name="Operators")
    group.permissions.add(
        Permission.objects.get(
            codename="confirm_bank_file", content_type__app_label="payouts"
        )
    )
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


def upload_confirmed(name: str, content: bytes) -> InboundResult:
    """Upload `content` as one operator and confirm it as another."""
    result = bank_file_upload(name=name, content=content, operator=operator())
    if result.status != "awaiting":
        return result  # refused at upload: unreadable, or read already
    waiting = InboundBankFile.objects.get(pk=result.file_id)
    return bank_file_confirm(file=waiting, operator=operator())


def report(
    batch: PaymentBatch,
    statuses: dict[Payout, tuple[str, str]],
    *,
    group: str = "PART",
    group_reason: str = "",
) -> InboundResult:
    """A pain.002: {payout: (status, reason code)}."""
    return upload_confirmed(
        "pain002.xml",
        answers.status_report(
            message_id=_id("P002"),
            batch_message_id=batch.message_id,
            payments=[
                (p.claim.reference, status, code)
                for p, (status, code) in statuses.items()
            ],
            group_status=group,
            group_reason=group_reason,
        ),
    )


def book(
    batch: PaymentBatch,
    payouts: list[Payout],
    *,
    amount: Decimal | None = None,
    currency: str | None = None,
    booked_on: dt.date = BOOKED_ON,
) -> InboundResult:
    """A camt.054 booking each payout's debit (or `amount`/`currency`)."""
    return upload_confirmed(
        "camt054.xml",
        answers.debit_notification(
            message_id=_id("C054"),
            batch_message_id=batch.message_id,
            booking_date=booked_on,
            entries=[
                (
                    p.claim.reference,
                    amount if amount is not None else p.payout_amount,
                    currency or p.payout_currency,
                    f"BANK-{p.pk}",
                )
                for p in payouts
            ],
        ),
    )


def give_back(
    batch: PaymentBatch, payout: Payout, reason: str = "AC04"
) -> InboundResult:
    """A pacs.004 returning the payout's transfer."""
    return upload_confirmed(
        "pacs004.xml",
        answers.payment_return(
            message_id=_id("R004"),
            batch_message_id=batch.message_id,
            end_to_end_id=payout.claim.reference,
            amount=payout.payout_amount,
            currency=payout.payout_currency,
            reason=reason,
            settled_on=dt.date(2027, 3, 4),
        ),
    )

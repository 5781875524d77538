"""Demo helpers for payouts: the states the demo shows and how a new demo payout
is taken there through the real services. portal/demo.py composes them, and
only ever advances a payout it has just opened.
"""

import datetime as dt

from django.utils import timezone

from resellers.models import User

from . import services
from .bank import answers
from .bank.models import InboundBankFile
from .models import Payout

S = Payout.Status
DEMO_IBAN = "SE4550000000058398257466"
# The demo's failed payout is refused for the reseller's side, and a refused
# account is never paid again (issue 15): it goes to an account of its own, of
# a company of its own, so the rest of the demo keeps DEMO_IBAN.
DEMO_FAILED = "failed_new_cycle"
DEMO_REFUSED_IBAN = "SE9550000000583982574670"
# (claim reference, the state the demo payout ends in)
DEMO_PAYOUTS = [
    ("CB-DEMO-P001", S.AWAITING_BANK_DETAILS),
    ("CB-DEMO-P002", "reminded"),
    ("CB-DEMO-P003", S.READY),
    ("CB-DEMO-P004", S.SCHEDULED),
    ("CB-DEMO-P005", S.IN_BATCH),
    ("CB-DEMO-P006", S.PAID),
    ("CB-DEMO-P007", DEMO_FAILED),
    ("CB-DEMO-P008", S.FORFEITED),
]


def demo_payout_advance(
    payout: Payout, target: str, user: User, operators: tuple[User, User]
) -> None:
    """Move a newly opened demo payout along the real services up to `target`."""
    builder, releaser = operators
    if target in ("reminded", S.FORFEITED) and payout.status == S.AWAITING_BANK_DETAILS:
        # Shape the calendar as if the window had closed (the sweep does the rest).
        past = timezone.now() - dt.timedelta(days=6)
        reminders = payout.offer.max_reminders if target == S.FORFEITED else 0
        Payout.objects.filter(pk=payout.pk, reminders_sent__lte=reminders).update(
            notified_at=past, bank_details_due_at=past, reminders_sent=reminders
        )
        return
    wants_ready = target not in (S.AWAITING_BANK_DETAILS, "reminded", S.FORFEITED)
    if wants_ready and payout.status == S.AWAITING_BANK_DETAILS and payout.cycle == 1:
        services.bank_account_submit(
            reseller=payout.reseller,
            user=user,
            beneficiary_name=payout.reseller.legal_name,
            iban=DEMO_REFUSED_IBAN if target == DEMO_FAILED else DEMO_IBAN,
            bic="ESSESESS",
            bank_country="SE",
            currency="SEK",
            payout=payout,
        )
        payout.refresh_from_db()
    if target == S.READY:
        return
    if payout.status == S.READY:
        services.payouts_schedule(today=max(payout.release_date, dt.date.today()))
        payout.refresh_from_db()
    if payout.status == S.SCHEDULED and target != S.SCHEDULED:
        account = payout.bank_account
        if account is not None and account.verified_at is None:
            # A new account waits out its cooling-off unless an operator
            # verified it (R20); the demo's operator has.
            services.bank_account_verify(
                account=account,
                operator=builder,
                method="Demo: called the company's known number.",
            )
        batch = services.batch_create(
            currency=payout.payout_currency, payouts=[payout], operator=builder
        )
        services.batch_release(batch=batch, operator=releaser)
        payout.refresh_from_db()
    if payout.status == S.IN_BATCH and target in (S.PAID, DEMO_FAILED):
        demo_bank_answer(payout, paid=target == S.PAID, operators=operators)


def _uploaded_and_confirmed(
    name: str, content: bytes, operators: tuple[User, User]
) -> None:
    """A bank file as an operator uploads it and a second one confirms it."""
    uploader, confirmer = operators
    result = services.bank_file_upload(name=name, content=content, operator=uploader)
    if result.file_id is not None and result.status == "awaiting":
        services.bank_file_confirm(
            file=InboundBankFile.objects.get(pk=result.file_id), operator=confirmer
        )


def demo_bank_answer(
    payout: Payout, *, paid: bool, operators: tuple[User, User]
) -> None:
    """What the bank would send for a payout in a released batch (paid, or
    refused for a wrong account number), read through the admin upload and a
    second operator's confirmation, as the bank's files are applied."""
    batch, reference = payout.batch.message_id, payout.claim.reference
    # One message per payment cycle: a payout refused and sent again gets new ones.
    message = f"{reference}-{payout.cycle}"
    status = "ACCP" if paid else "RJCT"
    _uploaded_and_confirmed(
        f"demo-pain002-{message}.xml",
        answers.status_report(
            message_id=f"DEMO-P002-{message}",
            batch_message_id=batch,
            payments=[(reference, status, "" if paid else "AC01")],
            # PART: this payment refused, not the whole file.
            group_status="ACCP" if paid else "PART",
        ),
        operators,
    )
    if paid:
        _uploaded_and_confirmed(
            f"demo-camt054-{message}.xml",
            answers.debit_notification(
                message_id=f"DEMO-C054-{message}",
                batch_message_id=batch,
                booking_date=dt.date.today(),
                entries=[
                    (
                        reference,
                        payout.payout_amount,
                        payout.payout_currency,
                        "DEMO-BANK-1",
                    )
                ],
            ),
            operators,
        )

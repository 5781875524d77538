"""The bank's two folders in a test's own directory, and mock-bank behind them."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from schwifty import IBAN

from payouts.bank.inbound import InboundContext
from payouts.crypto import account_number_decrypt, payment_file_encrypt
from payouts.models import PaymentBatch, Payout
from payouts.services import batch_create, batch_release
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory
from tests.services import MockBank

MESSAGES = Path(__file__).resolve().parent.parent / "bank_messages"
# The bank's day the tests start on: a Friday before the factories' release
# date (Sunday 2027-02-28), so a payment settles on Monday 2027-03-01.
BANK_CLOCK = "2027-02-26T09:00"
VENDOR = "VENDOR"


@pytest.fixture
def bank_folders(settings, tmp_path) -> tuple[Path, Path]:
    """The outbound and inbound storages as two folders of this test's own."""
    outbound, inbound = tmp_path / "bank" / "outbound", tmp_path / "bank" / "inbound"
    outbound.mkdir(parents=True)
    inbound.mkdir(parents=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "bank_outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": outbound},
        },
        "bank_inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": inbound},
        },
    }
    return outbound, inbound


@pytest.fixture
def mock_bank(bank_folders) -> Iterator[MockBank]:
    """mock-bank reading our outbound folder and writing into our inbound one.

    It holds the vendor's paying account (PAYOUT_DEBTOR_IBAN) in SEK with money
    on it; a test adds the resellers' accounts it wants to fail.
    """
    outbound, inbound = bank_folders
    bank = MockBank(drop_dir=outbound, pickup_dir=inbound, clock=BANK_CLOCK)
    bank.start()
    try:
        bank.account_create(
            VENDOR,
            name=django_settings.PAYOUT_DEBTOR_NAME,
            iban=django_settings.PAYOUT_DEBTOR_IBAN,
            bic=django_settings.PAYOUT_DEBTOR_BIC,
            currency="SEK",
            balance=10_000_000_00,
        )
        yield bank
    finally:
        bank.stop()


def reseller_iban(number: int, country: str = "SE") -> str:
    """A valid IBAN of its own for each test payout (never the vendor's)."""
    if country == "DE":
        return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{number}"))
    return str(IBAN.generate("SE", bank_code="500", account_code=f"{number:016d}"))


def released_batch(count: int = 2, currency: str = "SEK") -> PaymentBatch:
    """A released batch of `count` payouts, each to an account of its own."""
    from tests.payouts.test_batches import scheduled_payout

    payouts = []
    for number in range(count):
        overrides = {"iban": reseller_iban(7_000_000 + number * 10)}
        if currency == "EUR":
            overrides["iban"] = reseller_iban(5_320_000 + number * 10, "DE")
        payouts.append(scheduled_payout(currency, **overrides))
    builder, releaser = StaffUserFactory(), StaffUserFactory()
    batch = batch_create(currency=currency, payouts=payouts, operator=builder)
    return batch_release(batch=batch, operator=releaser)


def batch_payouts(batch: PaymentBatch) -> list[Payout]:
    return list(
        Payout.objects.filter(batch=batch)
        .select_related("claim", "bank_account")
        .order_by("pk")
    )


def iban_of(payout: Payout) -> str:
    """The account number the pain.001 names for this payout."""
    return account_number_decrypt(payout.bank_account.account_number_encrypted).split(
        ":"
    )[-1]


def in_batch(message_id: str, references: list[str], amount=Decimal("1000.00")):
    """A released batch `message_id` holding payouts with these claim references."""
    operator = StaffUserFactory()
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id=message_id,
        status=PaymentBatch.Status.RELEASED,
        created_by=operator,
        payment_file=payment_file_encrypt("<Document/>"),
    )
    for offset, reference in enumerate(references):
        PayoutFactory(
            claim__reference=reference,
            batch=batch,
            status=Payout.Status.IN_BATCH,
            payout_amount=amount + offset,
            payout_currency="SEK",
        )
    return batch


class Recorder(list):
    """An apply function that keeps what it was given, for the test to look at."""

    def __call__(self, context: InboundContext) -> None:
        self.append(context)

    def of_kind(self, kind: str) -> list[InboundContext]:
        return [c for c in self if c.message.kind == kind]

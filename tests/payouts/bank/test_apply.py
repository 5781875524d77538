"""The bank's messages applied to payouts, against hand-written files: what is
listed for the operators instead of applied, what refuses a file whole, and
that a refused or repeated file changes nothing."""

import datetime as dt
import shutil
from decimal import Decimal

import pytest

from cashback.money import money
from payouts.bank.models import BankDiscrepancy, InboundBankFile
from payouts.models import PaymentBatch, Payout, PayoutEvent
from payouts.services import bank_results as applying
from payouts.services import batch_create, batch_release
from payouts.tasks import read_bank_files
from tests.payouts.bank.answers import book, give_back, report, upload_confirmed
from tests.payouts.bank.conftest import MESSAGES
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

S = Payout.Status


def released(count: int = 2) -> tuple[PaymentBatch, list[Payout]]:
    payouts = [scheduled_payout() for _ in range(count)]
    batch = batch_create(currency="SEK", payouts=payouts, operator=StaffUserFactory())
    batch = batch_release(batch=batch, operator=StaffUserFactory())
    for payout in payouts:
        payout.refresh_from_db()
    return batch, payouts


def frozen() -> tuple:
    """Everything an applied file could have changed."""
    return (
        list(Payout.objects.order_by("pk").values_list("status", "cycle", "batch")),
        PayoutEvent.objects.count(),
        list(PaymentBatch.objects.order_by("pk").values_list("status", flat=True)),
        BankDiscrepancy.objects.count(),
    )


def test_an_amount_that_disagrees_is_listed_not_applied():
    """The bank booked another amount (or currency): the payout stays with the
    bank, the entry is listed for the operators with the reason."""
    batch, (first, second) = released()
    result = book(batch, [first], amount=Decimal("999.00"))
    assert result.status == "read"
    result = book(batch, [second], currency="EUR")
    assert result.status == "read"
    for payout in (first, second):
        payout.refresh_from_db()
        assert payout.status == S.IN_BATCH
    listed = BankDiscrepancy.objects.order_by("pk")
    assert [d.payout_id for d in listed] == [first.pk, second.pk]
    # Amounts read as money everywhere (issue 28), the bank's and ours alike.
    expected = money(first.payout_amount, first.payout_currency)
    assert listed[0].reason == (
        f"The bank booked SEK\xa0999.00; the payout is {expected}. Not applied."
    )
    assert f"The bank booked EUR\xa0{second.payout_amount:,.2f};" in listed[1].reason
    assert first.events.filter(kind=PayoutEvent.Kind.BANK_DISAGREES).exists()


def test_an_amount_off_by_less_than_a_cent_reads_as_the_bank_wrote_it():
    """Rounded to cents as money is, the bank's 999.999 would read like our
    1,000.00 and the listed difference would vanish."""
    batch, (payout,) = released(1)
    payout.refresh_from_db()
    stated = payout.payout_amount - Decimal("0.001")
    book(batch, [payout], amount=stated)
    listed = BankDiscrepancy.objects.get()
    assert listed.reason.startswith(f"The bank booked {stated} SEK; the payout is ")


def test_an_end_to_end_id_that_is_not_ours_is_refused_or_listed():
    """A status report naming a payment not in our file is refused whole; a
    notification entry naming our file with a payment not in it is listed;
    an entry naming no file of ours (a fee) is set aside."""
    batch, (payout, _other) = released()
    before = frozen()
    result = upload_confirmed(
        "p002.xml",
        (MESSAGES / "bad_not_our_payment.xml")
        .read_bytes()
        .replace(b"CB-TEST-0001", batch.message_id.encode()),
    )
    assert (result.status, result.code) == ("failed", "not_ours")
    assert frozen() == before

    payout.claim.reference = "CB-NOT-IN-IT"  # the bank names another payment
    assert book(batch, [payout]).status == "read"
    (listed,) = BankDiscrepancy.objects.all()
    assert listed.payout is None and listed.end_to_end_id == "CB-NOT-IN-IT"
    assert "has no payment CB-NOT-IN-IT" in listed.reason


def test_a_file_failing_midway_changes_nothing(monkeypatch):
    """The second booking of a file cannot be applied: the first is not kept
    either, the file is refused with the reason."""
    batch, payouts = released()
    original = applying._booking_apply
    calls = []

    def second_fails(context, payout, payment, alerts):
        calls.append(payout.pk)
        if len(calls) == 2:
            raise applying.PayoutError("the second one cannot be paid")
        original(context, payout, payment, alerts)

    monkeypatch.setattr(applying, "_booking_apply", second_fails)
    before = frozen()
    result = book(batch, payouts)
    assert (result.status, result.code) == ("failed", "not_applicable")
    assert "the second one cannot be paid" in result.reason
    assert frozen() == before
    assert not InboundBankFile.objects.filter(status="read").exists()


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        ("bad_unknown_namespace.xml", "unknown_message"),
        ("bad_truncated.xml", "not_xml"),
        ("bad_unknown_batch.xml", "unknown_batch"),
    ],
)
def test_bad_files_in_the_folder_are_refused_with_a_reason(bank_folders, sample, code):
    """The job refuses them with their reason and changes nothing; never an
    exception."""
    released()
    before = frozen()
    _outbound, inbound = bank_folders
    shutil.copy(MESSAGES / sample, inbound / sample)
    summary = read_bank_files()
    assert summary["refused"] == 1
    assert f"{sample}: {code}:" in summary["reasons"][0]
    assert (inbound / "failed" / f"{sample}.reason.txt").exists()
    assert frozen() == before


def test_a_return_of_a_payout_the_bank_never_paid_is_still_a_return():
    """pacs.004 for a payout still with the bank (no booking read yet): failed
    with the return reason, not left in the batch; its account is still on
    file, so it waits for an operator's decision (issue 27)."""
    batch, (payout, _other) = released()
    assert give_back(batch, payout, "AC04").status == "read"
    payout.refresh_from_db()
    assert (payout.status, payout.cycle, payout.failure_code) == (
        S.FAILED,
        1,
        "AC04",
    )


def test_a_report_for_a_payout_already_paid_is_listed_for_operators():
    """An RJCT read after the booking: the payout stays paid; it is on its
    timeline for the operators, not failed."""
    batch, (payout, other) = released()
    book(batch, [payout], booked_on=dt.date(2027, 3, 1))
    report(batch, {payout: ("RJCT", "AC04"), other: ("ACCP", "")})
    payout.refresh_from_db()
    other.refresh_from_db()
    assert payout.status == S.PAID
    assert other.status == S.IN_BATCH
    assert payout.events.filter(kind=PayoutEvent.Kind.BANK_DISAGREES).exists()


def test_the_reseller_reads_the_banks_words_on_the_payouts_page(client):
    """Accepted, paid on the booking date, or refused with the reason, in
    plain words in English and Swedish."""
    batch, (paid, refused) = released()
    report(batch, {paid: ("ACCP", ""), refused: ("RJCT", "AC04")})
    book(batch, [paid])
    client.force_login(paid.claim.submitted_by)
    english = client.get("/payouts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Accepted by the bank on " in english
    assert "Paid on 1 March 2027." in english
    reader = refused.claim.submitted_by
    reader.preferred_language = "sv"
    reader.save(update_fields=["preferred_language"])
    client.force_login(reader)
    swedish = client.get("/payouts/").content.decode()
    assert "Avvisad av banken: kontot är avslutat." in swedish
    assert "The bank refused" not in swedish

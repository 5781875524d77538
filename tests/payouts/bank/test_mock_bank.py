"""Whole rounds against mock-bank, a bank run as a separate process.

Our pain.001 (built by batch_release from factory payouts) is written to the
outbound folder, which is the bank's drop folder; the bank answers into its
pickup folder, which is our inbound folder; the inbound job reads the answers
and our readers turn them into the payments and statuses below, for each way
the bank can fail.
"""

import shutil
from datetime import date
from decimal import Decimal

import pytest

from payouts.bank.connection import batch_file_send
from payouts.bank.inbound import inbound_files_read
from payouts.bank.messages import CAMT053, CAMT054, PACS004, PAIN002
from payouts.bank.models import InboundBankFile
from payouts.bank.reason_codes import Side, reason_lookup
from tests.payouts.bank.conftest import (
    VENDOR,
    Recorder,
    batch_payouts,
    iban_of,
    released_batch,
)

pytestmark = [pytest.mark.django_db, pytest.mark.bank]

SETTLEMENT_DAY = date(2027, 3, 1)  # Monday after the requested Sunday


def send(bank, batch) -> dict:
    """Our file into the bank's drop folder, and the bank's look at it."""
    batch_file_send(batch=batch)
    scan = bank.scan()
    assert scan["scanned"] == 1, scan
    return scan["files"][0]


def read_answers() -> Recorder:
    recorder = Recorder()
    results = inbound_files_read(apply=recorder)
    # mock-bank writes every account's statement into the one pickup folder,
    # its own seeded customers' too: those are refused as not our account.
    refused = [
        r
        for r in results
        if r.status != InboundBankFile.Status.READ and r.code != "not_our_account"
    ]
    assert not refused, refused
    return recorder


def statuses(context) -> dict[str, tuple[str, str]]:
    return {
        p.end_to_end_id: (p.status, p.reason_code) for p in context.message.payments
    }


def test_an_accepted_file_is_acknowledged_then_booked(mock_bank, bank_folders):
    """ACCP per payment in the pain.002, then a booked debit per payment in the
    camt.054 and the camt.053, each with its amount, booking date and reference."""
    batch = released_batch(2)
    payouts = batch_payouts(batch)
    assert send(mock_bank, batch)["status"] == "ACCP"

    (report,) = read_answers().of_kind(PAIN002)
    assert report.message.original_message_id == batch.message_id
    assert report.message.group_status == "ACCP"
    assert statuses(report) == {p.claim.reference: ("ACCP", "") for p in payouts}
    assert set(report.payouts) == {p.claim.reference for p in payouts}

    mock_bank.advance(to="2027-03-02")
    answers = read_answers()
    (notification,) = answers.of_kind(CAMT054)
    statements = [c for c in answers.of_kind(CAMT053) if c.message.payments]
    assert len(statements) == 1
    for context in (notification, statements[0]):
        assert set(context.payouts) == {p.claim.reference for p in payouts}
        for payment in context.message.payments:
            payout = context.payout_for(payment)
            assert payment.is_booked_debit
            assert (payment.amount, payment.currency) == (
                payout.payout_amount,
                payout.payout_currency,
            )
            assert payment.booking_date == SETTLEMENT_DAY
            assert payment.bank_reference
            assert payment.original_message_id == batch.message_id
    _outbound, inbound = bank_folders
    processed = list((inbound / "processed").iterdir())
    assert len(processed) == InboundBankFile.objects.filter(status="read").count()
    assert not [p for p in inbound.iterdir() if p.is_file()]  # nothing left behind


@pytest.mark.parametrize(
    ("behaviour", "code", "side"),
    [
        ("closed-account", "AC04", Side.RESELLER),
        ("bad-bank-id", "RC01", Side.RESELLER),
    ],
)
def test_a_refused_creditor_account_is_rejected_with_its_reason(
    mock_bank, behaviour, code, side
):
    """The bank holds the reseller's account and refuses it: that payment is RJCT
    with the ISO reason, the others accepted; the group status is PART."""
    batch = released_batch(2)
    refused, accepted = batch_payouts(batch)
    mock_bank.account_create(
        "RESELLER", iban=iban_of(refused), currency="SEK", behaviour=behaviour
    )
    assert send(mock_bank, batch)["status"] == "PART"

    (report,) = read_answers().of_kind(PAIN002)
    assert report.message.group_status == "PART"
    assert statuses(report) == {
        refused.claim.reference: ("RJCT", code),
        accepted.claim.reference: ("ACCP", ""),
    }
    assert reason_lookup(code).side == side


def test_insufficient_funds_is_the_vendors_side(mock_bank):
    """AM04 when the vendor's account cannot pay: the vendor's problem, not the
    reseller's."""
    batch = released_batch(2)
    mock_bank.account_update(VENDOR, behaviour="insufficient-funds", balance=1500_00)
    first, second = batch_payouts(batch)
    send(mock_bank, batch)

    (report,) = read_answers().of_kind(PAIN002)
    assert statuses(report) == {
        first.claim.reference: ("ACCP", ""),
        second.claim.reference: ("RJCT", "AM04"),
    }
    assert reason_lookup("AM04").side == Side.VENDOR


def test_a_rejected_file_is_a_group_rjct_with_ff01(mock_bank):
    """reject-file: the whole file refused at group level, FF01, no payment."""
    batch = released_batch(2)
    mock_bank.account_update(VENDOR, behaviour="reject-file")
    send(mock_bank, batch)

    (report,) = read_answers().of_kind(PAIN002)
    message = report.message
    assert (message.group_status, message.group_reason_code) == ("RJCT", "FF01")
    assert message.original_message_id == batch.message_id
    assert message.payments == ()
    assert report.batches == {batch.message_id: batch}
    assert reason_lookup("FF01").side == Side.VENDOR


def test_a_file_sent_twice_is_refused_as_a_duplicate(mock_bank, bank_folders):
    """The same pain.001 dropped again (say, by hand) is RJCT DUPL at group level;
    the portal itself writes a batch's file once."""
    batch = released_batch(1)
    mock_bank.account_update(VENDOR, behaviour="duplicate-file")
    record = batch_file_send(batch=batch)
    assert batch_file_send(batch=batch) == record  # never written twice
    mock_bank.scan()
    outbound, _inbound = bank_folders
    shutil.copy(outbound / "processed" / record.name, outbound / "again.xml")
    mock_bank.scan()

    reports = read_answers().of_kind(PAIN002)
    assert [r.message.group_status for r in reports] == ["ACCP", "RJCT"]
    assert reports[1].message.group_reason_code == "DUPL"
    assert reason_lookup("DUPL").side == Side.VENDOR


def test_a_silent_bank_sends_no_status_report(mock_bank):
    """silent: no pain.002 at all, though the payments still book."""
    batch = released_batch(1)
    mock_bank.account_update(VENDOR, behaviour="silent")
    send(mock_bank, batch)
    assert read_answers().of_kind(PAIN002) == []

    mock_bank.advance(to="2027-03-02")
    answers = read_answers()
    assert answers.of_kind(PAIN002) == []
    (notification,) = answers.of_kind(CAMT054)
    (payout,) = batch_payouts(batch)
    assert set(notification.payouts) == {payout.claim.reference}


def test_a_paid_payment_comes_back_in_a_pacs004(mock_bank):
    """return-later: settled, then returned days later with the reason, in a
    pacs.004 naming our file and in a camt.054 credit."""
    batch = released_batch(2)
    _first, second = batch_payouts(batch)
    mock_bank.account_update(
        VENDOR,
        behaviour="return-later",
        parameters={
            "days": 2,
            "reason": "MD07",
            "end_to_end_id": second.claim.reference,
        },
    )
    send(mock_bank, batch)
    mock_bank.advance(to="2027-03-02")
    assert read_answers().of_kind(PACS004) == []

    mock_bank.advance(to="2027-03-05")
    answers = read_answers()
    (returned,) = answers.of_kind(PACS004)
    assert returned.message.original_message_id == batch.message_id
    (payment,) = returned.message.payments
    assert payment.end_to_end_id == second.claim.reference
    assert payment.is_return and payment.return_reason == "MD07"
    assert (payment.amount, payment.currency) == (Decimal("1000.00"), "SEK")
    assert returned.payouts == {second.claim.reference: second}
    (credit,) = [
        p for c in answers.of_kind(CAMT054) for p in c.message.payments if p.is_return
    ]
    assert (credit.end_to_end_id, credit.return_reason) == (
        second.claim.reference,
        "MD07",
    )
    assert reason_lookup("MD07").side == Side.RESELLER


def test_a_eur_batch_is_read_by_the_bank_as_sepa(mock_bank):
    """The SEPA (EUR) file is taken and answered as well as the generic one."""
    mock_bank.account_update(VENDOR, currency="EUR")
    batch = released_batch(1, currency="EUR")
    assert send(mock_bank, batch)["status"] == "ACCP"
    (report,) = read_answers().of_kind(PAIN002)
    (payout,) = batch_payouts(batch)
    assert statuses(report) == {payout.claim.reference: ("ACCP", "")}


def test_answers_are_read_once(mock_bank, bank_folders):
    """A second run finds nothing new; an answer put back in the inbound folder
    is refused as already read and changes nothing."""
    batch = released_batch(1)
    send(mock_bank, batch)
    assert len(read_answers()) == 1
    assert inbound_files_read() == []

    _outbound, inbound = bank_folders
    (processed,) = (inbound / "processed").glob("pain.002*.xml")
    shutil.copy(processed, inbound / "copy-of-report.xml")
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)
    assert (result.status, result.code) == ("failed", "already_read")
    assert recorder == []
    assert (inbound / "failed" / "copy-of-report.xml").exists()
    assert InboundBankFile.objects.filter(status="read").count() == 1


def test_the_banks_answer_to_a_file_we_never_sent_is_refused(mock_bank, bank_folders):
    """A file that is not ours in the bank's drop folder: the bank rejects it
    naming no message we sent (NOTPROVIDED), and our job refuses that answer
    with its reason instead of applying it."""
    outbound, inbound = bank_folders
    (outbound / "stray.xml").write_bytes(b"<not-a-payment-file/>")
    assert mock_bank.scan()["files"][0]["status"] == "RJCT"

    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)
    assert (result.status, result.code) == ("failed", "unknown_batch")
    assert "NOTPROVIDED" in result.reason
    assert recorder == []
    assert len(list((inbound / "failed").glob("pain.002*.reason.txt"))) == 1

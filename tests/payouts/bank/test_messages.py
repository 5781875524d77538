"""The readers held to messages written by hand from the ISO 20022 definitions.

The files are in tests/payouts/bank_messages/. No database: a reader turns
bytes into data and nothing else.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from payouts.bank.messages import BankFileError, bank_message_read
from payouts.bank.reason_codes import REASONS, UNSPECIFIED, Side, reason_lookup
from tests.payouts.bank.conftest import MESSAGES


def read(name: str):
    return bank_message_read((MESSAGES / name).read_bytes())


def by_id(message) -> dict[str, tuple]:
    return {
        p.end_to_end_id: (p.status, p.reason_code, p.amount) for p in message.payments
    }


def test_a_pain002_001_03_gives_each_payments_status_and_reason():
    """Version 001.03: ACSP, RJCT AC01 and RJCT AM04 with amounts where given."""
    message = read("pain002_001_03_rjct.xml")
    assert message.message_type == "pain.002.001.03"
    assert message.message_id == "BANK-P002-20270301-0001"
    assert message.original_message_id == "CB-TEST-0001"
    assert message.group_status == "PART"
    assert by_id(message) == {
        "CB-2027-000001": ("ACSP", "", Decimal("1000.00")),
        "CB-2027-000002": ("RJCT", "AC01", Decimal("1001.00")),
        "CB-2027-000003": ("RJCT", "AM04", None),
    }
    accepted, rejected, _funds = message.payments
    assert accepted.is_accepted and not accepted.is_rejected
    assert accepted.bank_reference == "SEB-778101"
    assert rejected.reason_text == "Incorrect account number"
    assert rejected.currency == "SEK"


def test_a_pain002_001_10_part_applies_each_payments_own_status():
    """Version 001.10 with PART: a payment without TxSts takes its batch's."""
    message = read("pain002_001_10_part.xml")
    assert message.message_type == "pain.002.001.10"
    assert message.group_status == "PART"
    assert by_id(message) == {
        "CB-2027-000001": ("RJCT", "BE05", None),
        "CB-2027-000002": ("ACCP", "", None),
        "CB-2027-000003": ("ACSC", "", None),
    }
    assert message.created_at.isoformat() == "2027-03-01T09:30:00+01:00"


def test_a_camt054_with_several_entries_per_notification():
    """Every transaction of every entry of every notification, batch-booked
    entries split by their details, a return and a fee included."""
    message = read("camt054_001_08_two_notifications.xml")
    assert message.kind == "camt.054"
    assert message.message_id == "BANK-C054-20270301-7"
    rows = [
        (
            p.end_to_end_id,
            p.credit_debit,
            p.amount,
            p.booking_date,
            p.bank_reference,
            p.return_reason,
        )
        for p in message.payments
    ]
    assert rows == [
        (
            "CB-2027-000001",
            "DBIT",
            Decimal("1000.00"),
            date(2027, 3, 1),
            "SEB-TX-1",
            "",
        ),
        (
            "CB-2027-000002",
            "DBIT",
            Decimal("1001.00"),
            date(2027, 3, 1),
            "SEB-TX-2",
            "",
        ),
        # One transaction and no amount of its own: the entry's.
        ("CB-2027-000003", "DBIT", Decimal("1002.00"), date(2027, 3, 2), "SEB-56", ""),
        (
            "CB-2027-000002",
            "CRDT",
            Decimal("1001.00"),
            date(2027, 3, 5),
            "SEB-RTR-9",
            "AC04",
        ),
        ("", "DBIT", Decimal("25.00"), date(2027, 3, 5), "SEB-FEE-1", ""),
    ]
    booked, _second, _third, returned, _fee = message.payments
    assert booked.is_booked_debit and not booked.is_return
    assert returned.is_return and not returned.is_booked_debit
    assert message.original_message_ids == {"CB-TEST-0001"}


def test_a_pacs004_return_with_its_reason():
    """The return names our file, the payment, the amount, date and reason."""
    message = read("pacs004_001_09_return.xml")
    assert message.message_type == "pacs.004.001.09"
    assert message.original_message_id == "CB-TEST-0001"
    (payment,) = message.payments
    assert payment.end_to_end_id == "CB-2027-000002"
    assert payment.is_return
    assert (payment.return_reason, payment.reason_text) == (
        "AC04",
        "Account closed 2027-02-15",
    )
    assert (payment.amount, payment.currency) == (Decimal("1001.00"), "SEK")
    assert payment.booking_date == date(2027, 3, 5)
    assert payment.bank_reference == "RTR-20270305-1"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("bad_unknown_namespace.xml", "unknown_message"),
        ("bad_truncated.xml", "not_xml"),
    ],
)
def test_a_file_the_portal_cannot_read_is_one_clear_error(name, code):
    """An unknown message and a file cut short: BankFileError with a reason."""
    with pytest.raises(BankFileError) as caught:
        read(name)
    assert caught.value.code == code
    assert caught.value.reason


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"PK\x03\x04 a zip file", "not_xml"),
        (b"<Document/>", "unknown_message"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.05"/>',
            "unknown_message",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"/>',
            "missing_element",
        ),
        (
            b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09">'
            b"<PmtRtr><GrpHdr><MsgId>&e;</MsgId></GrpHdr></PmtRtr></Document>",
            "missing_element",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
            b"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId></GrpHdr><Ntfctn><Ntry>"
            b'<Amt Ccy="SEK">ten</Amt><CdtDbtInd>DBIT</CdtDbtInd></Ntry></Ntfctn>'
            b"</BkToCstmrDbtCdtNtfctn></Document>",
            "bad_value",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
            b"<CstmrPmtStsRpt><GrpHdr><MsgId>" + b"M" * 36 + b"</MsgId></GrpHdr>"
            b"<OrgnlGrpInfAndSts><OrgnlMsgId>CB-1</OrgnlMsgId><GrpSts>ACCP</GrpSts>"
            b"</OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>",
            "bad_value",
        ),
    ],
)
def test_bad_content_is_refused_with_a_code(content, code):
    """Empty, not XML, a version we do not read, required parts missing, an
    external entity (never resolved), an amount that is not one and a message
    id longer than ISO's 35 characters."""
    with pytest.raises(BankFileError) as caught:
        bank_message_read(content)
    assert caught.value.code == code


def test_every_common_code_has_a_side_and_words_in_both_languages():
    """The codes the issue names are in the table, on the right side, in sv/en."""
    reseller = {"AC01", "AC04", "AC06", "AG01", "BE04", "BE05", "RC01", "MS03"}
    vendor = {"AM04", "FF01", "DUPL"}
    assert {code for code, r in REASONS.items() if r.side == Side.RESELLER} >= reseller
    assert {code for code, r in REASONS.items() if r.side == Side.VENDOR} >= vendor
    for reason in REASONS.values():
        with translation.override("en"):
            english = str(reason.text)
        with translation.override("sv"):
            swedish = str(reason.text)
        assert english and swedish != english, reason.code


def test_an_unknown_code_reads_as_not_specified():
    """A code we do not list is said as MS03 (ask for the details again)."""
    assert reason_lookup("ZZ99") is UNSPECIFIED
    assert reason_lookup(" ac04 ").code == "AC04"


def test_a_camt053_001_02_statement_reads_like_the_notification():
    """The 2009 version: plain-text entry status, amounts under AmtDtls; a
    pending entry is not a booked debit."""
    message = read("camt053_001_02_statement.xml")
    assert (message.kind, message.message_id) == ("camt.053", "BANK-C053-20270301")
    rows = [
        (p.end_to_end_id, p.status, p.amount, p.booking_date, p.is_booked_debit)
        for p in message.payments
    ]
    assert rows == [
        ("CB-2027-000001", "BOOK", Decimal("1000.00"), date(2027, 3, 1), True),
        ("CB-2027-000002", "BOOK", Decimal("1001.00"), date(2027, 3, 1), True),
        ("CB-2027-000003", "PDNG", Decimal("1002.00"), date(2027, 3, 2), False),
    ]

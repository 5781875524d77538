"""Issuing a payment's statement and VAT document when the bank books it (R25)."""

from decimal import Decimal

import pytest

from tests.statements.conftest import pay, statement_of

pytestmark = pytest.mark.django_db


def test_a_booked_payment_gets_its_statement_and_credit_note(
    django_capture_on_commit_callbacks,
):
    """The booking issues one statement and one credit note (the offer's
    default kind), with the payment's figures and a number of its series."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    statement = statement_of(payout)
    assert statement.payment_id == payout.claim.reference
    assert statement.amount == payout.payout_amount
    assert statement.pdf.read().startswith(b"%PDF")
    (document,) = statement.vat_documents.all()
    assert document.kind == "credit_note"
    assert document.number == "CN-000001"
    assert document.total_amount == payout.payout_amount
    # Domestic (vendor and company in Sweden): 25 % included in what was paid.
    assert document.taxable_amount == Decimal("800.00")
    assert document.vat_amount == Decimal("200.00")

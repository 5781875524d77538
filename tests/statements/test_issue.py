"""Issuing a payment's statement and VAT document when the bank books it, each
kind's content, the e-mail with its PDFs, retries and corrections (R25)."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from claims.models import CorrectionReason, RewardAdjustment
from offers.models import Offer
from payouts.models import Payout
from resellers.models import Reseller
from statements.models import (
    DocumentImmutable,
    NumberSeries,
    PaymentStatement,
    VatDocument,
)
from statements.services import self_billing_agreement_accept
from statements.tasks import issue_payment_documents
from statements.vat import INDIRECT_REBATE, REVERSE_CHARGE
from tests.resellers.factories import StaffUserFactory
from tests.statements.conftest import pay, return_payment, statement_of

pytestmark = pytest.mark.django_db
Kind = Offer.VatDocumentKind


def _company_admin(payout: Payout):
    return payout.reseller.members.filter(is_company_admin=True).first()


def test_a_booked_payment_gets_its_statement_and_credit_note(
    django_capture_on_commit_callbacks,
):
    """The booking issues one statement and one credit note (the offer's
    default kind): the payment's figures, the claim's line, 25 % Swedish VAT
    included in what was paid, a number of its series, both parties."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    statement = statement_of(payout)
    assert statement.payment_id == payout.claim.reference
    assert statement.amount == payout.payout_amount == Decimal("1000.00")
    content = statement.content
    assert content["remittance"].endswith(payout.claim.reference)
    assert content["masked_account"] == payout.bank_account.masked_account
    assert content["execution_date"] == "2027-03-01"
    (line,) = content["lines"]
    assert line["claim_reference"] == payout.claim.reference
    assert line["offer"] == payout.offer.title_en
    assert line["agreement_numbers"] == sorted(
        payout.claim.agreements.values_list("agreement_number", flat=True)
    )
    assert line["amount_paid"] == "1000.00"
    assert statement.pdf.read().startswith(b"%PDF")
    (document,) = statement.vat_documents.all()
    assert document.kind == Kind.CREDIT_NOTE
    assert document.number == "CN-000001"
    assert (document.taxable_amount, document.vat_amount, document.total_amount) == (
        Decimal("800.00"),
        Decimal("200.00"),
        Decimal("1000.00"),
    )
    assert document.content["vat"] == [
        {"category": "S", "rate": "25", "taxable": "800.00", "vat": "200.00"}
    ]
    assert document.content["supplier"]["name"] == "Vendor Nordic AB"
    assert document.content["customer"]["name"] == payout.reseller.legal_name
    assert document.content["wording"] is None
    assert document.pdf.read().startswith(b"%PDF")


def test_the_company_admins_get_the_statement_and_document_as_pdfs(
    django_capture_on_commit_callbacks,
):
    """One e-mail to the company's admins, both PDFs attached."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    document = VatDocument.objects.get(payout=payout)
    (message,) = [m for m in mail.outbox if document.number in m.subject]
    assert message.to == [_company_admin(payout).email]
    names = sorted(name for name, _content, _type in message.attachments)
    assert names == sorted(
        [f"statement-{payout.claim.reference}.pdf", f"{document.number}.pdf"]
    )
    assert all(content.startswith(b"%PDF") for _n, content, _t in message.attachments)
    assert all(kind == "application/pdf" for _n, _c, kind in message.attachments)


def test_a_retried_generation_issues_nothing_twice(django_capture_on_commit_callbacks):
    """The task run again (a retry, the sweep) returns what was issued: one
    statement, one document, the series not moved, one e-mail."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    statement = statement_of(payout)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = issue_payment_documents.apply(
            args=(payout.pk, statement.batch_id, "2027-03-01")
        ).get()
    assert again == statement.pk
    assert PaymentStatement.objects.filter(payout=payout).count() == 1
    assert VatDocument.objects.filter(payout=payout).count() == 1
    assert NumberSeries.objects.get(key="credit_note").last_number == 1
    assert len(mail.outbox) == sent


def test_a_self_billed_invoice_needs_the_companys_agreement(
    django_capture_on_commit_callbacks,
):
    """An offer set to self-billing: the company that accepted gets an invoice
    it supplies, marked "Självfakturering", in its own series; a company that
    did not gets a credit note."""

    def set_up(payouts):
        for payout in payouts:
            Offer.objects.filter(pk=payout.offer_id).update(
                vat_document_kind=Kind.SELF_BILLED_INVOICE
            )
        accepted = payouts[0]
        self_billing_agreement_accept(
            reseller=accepted.reseller, user=_company_admin(accepted), ip="192.0.2.1"
        )

    with django_capture_on_commit_callbacks(execute=True):
        accepted, declined = pay(count=2, before_booking=set_up)
    invoice = VatDocument.objects.get(payout=accepted)
    assert invoice.kind == Kind.SELF_BILLED_INVOICE
    assert invoice.number == f"SB{accepted.reseller_id}-000001"
    assert invoice.content["self_billing"] == {
        "sv": "Självfakturering",
        "en": "Self-billing",
    }
    assert invoice.content["supplier"]["name"] == accepted.reseller.legal_name
    assert invoice.content["customer"]["name"] == "Vendor Nordic AB"
    credit_note = VatDocument.objects.get(payout=declined)
    assert credit_note.kind == Kind.CREDIT_NOTE
    assert credit_note.content["self_billing"] is None


def test_a_settlement_note_carries_no_vat_and_says_why_in_both_languages(
    django_capture_on_commit_callbacks,
):
    def set_up(payouts):
        Offer.objects.filter(pk=payouts[0].offer_id).update(
            vat_document_kind=Kind.SETTLEMENT_NOTE
        )

    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay(before_booking=set_up)
    note = VatDocument.objects.get(payout=payout)
    assert note.number == "SN-000001"
    assert note.vat_amount == Decimal("0.00")
    assert note.taxable_amount == note.total_amount == Decimal("1000.00")
    assert note.content["vat"][0]["category"] == "O"
    assert note.content["wording"] == INDIRECT_REBATE
    assert "C-317/94" in INDIRECT_REBATE["sv"] and "C-317/94" in INDIRECT_REBATE["en"]


def test_a_cross_border_credit_note_is_zero_rated_reverse_charge(
    django_capture_on_commit_callbacks,
):
    """A German company paid in euros: no VAT, the reverse-charge wording in
    Swedish and English, the company's VAT number, the rate and its date."""

    def set_up(payouts):
        Reseller.objects.filter(pk=payouts[0].reseller_id).update(
            country="DE", vat_number="DE136695976", city="Berlin"
        )

    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay(currency="EUR", before_booking=set_up)
    document = VatDocument.objects.get(payout=payout)
    assert document.currency == "EUR"
    assert document.vat_amount == Decimal("0.00")
    assert document.content["vat"][0]["category"] == "AE"
    assert document.content["wording"] == REVERSE_CHARGE
    assert "Omvänd betalningsskyldighet" in REVERSE_CHARGE["sv"]
    assert "Reverse charge" in REVERSE_CHARGE["en"]
    assert document.content["customer"]["vat_number"] == "DE136695976"
    statement = document.statement.content
    assert statement["currency"] == "EUR" and statement["reward_currency"] == "SEK"
    assert statement["exchange_rate"] == str(payout.exchange_rate)
    assert statement["exchange_rate_date"] == str(payout.converted_with.rate_date)


def test_a_swedish_company_reads_its_documents_in_swedish(
    django_capture_on_commit_callbacks,
):
    """The company's language: the offer's Swedish title, the adjustment's
    reason and the PDF's words."""

    def set_up(payouts):
        payout = payouts[0]
        Reseller.objects.filter(pk=payout.reseller_id).update(preferred_language="sv")
        RewardAdjustment.objects.create(
            claim=payout.claim,
            status=RewardAdjustment.Status.APPLIED,
            computed_amount=Decimal("1200.00"),
            amount=Decimal("1000.00"),
            currency="SEK",
            reason_code=CorrectionReason.CALCULATION_ERROR,
            reason="Två licenser räknades dubbelt.",
            requested_by=StaffUserFactory(),
        )

    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay(before_booking=set_up)
    statement = statement_of(payout)
    assert statement.language == "sv"
    (line,) = statement.content["lines"]
    assert line["offer"] == payout.offer.title_sv
    (adjustment,) = line["adjustments"]
    assert adjustment["computed"] == "1200.00"
    assert adjustment["reason"] == (
        "Ersättningen beräknades fel. Två licenser räknades dubbelt."
    )
    document = VatDocument.objects.get(payout=payout)
    assert document.content["kind_label"] == "Kreditnota (ändringsfaktura)"
    message = next(m for m in mail.outbox if document.number in m.subject)
    html = message.alternatives[0][0]
    assert "Betalningsspecifikation" in html
    assert "Momspliktigt belopp" in html


def test_documents_never_change(django_capture_on_commit_callbacks):
    """A second save is refused by the model, an UPDATE by the database."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    statement = statement_of(payout)
    document = VatDocument.objects.get(payout=payout)
    with pytest.raises(DocumentImmutable):
        statement.save()
    with pytest.raises(DocumentImmutable):
        document.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        VatDocument.objects.filter(pk=document.pk).update(total_amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentStatement.objects.filter(pk=statement.pk).update(amount=1)
    document.refresh_from_db()
    assert document.total_amount == Decimal("1000.00")


def test_a_returned_payment_is_corrected_by_a_new_document(
    django_capture_on_commit_callbacks,
):
    """The bank returns a paid transfer: a correction with the amounts
    reversed names the original, takes the series' next number and goes to
    the admins; the original stays as it was; a second run adds nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    original = VatDocument.objects.get(payout=payout)
    batch_id = original.batch_id
    with django_capture_on_commit_callbacks(execute=True):
        return_payment(payout, batch_id)
    correction = VatDocument.objects.get(payout=payout, purpose="correction")
    assert correction.corrects == original
    assert correction.number == "CN-000002"
    assert correction.total_amount == Decimal("-1000.00")
    assert correction.vat_amount == Decimal("-200.00")
    assert correction.content["corrects"] == {
        "number": original.number,
        "issue_date": original.issue_date.isoformat(),
    }
    assert "AC04" in correction.content["correction_reason"]
    original.refresh_from_db()
    assert original.total_amount == Decimal("1000.00")
    assert any(correction.number in m.subject for m in mail.outbox)
    from statements.services import payment_documents_correct

    again = payment_documents_correct(payout_id=payout.pk, batch_id=batch_id, reason="")
    assert again == correction
    assert VatDocument.objects.filter(payout=payout).count() == 2

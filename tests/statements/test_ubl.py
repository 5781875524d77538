"""Each VAT document as UBL 2.1, valid against the OASIS UBL 2.1 schemas
(tests/statements/fixtures/ubl-2.1, with their licence)."""

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from offers.models import Offer
from resellers.models import Reseller
from statements.models import VatDocument
from statements.services import self_billing_agreement_accept
from statements.ubl import ubl_build
from tests.statements.conftest import pay, return_payment

pytestmark = pytest.mark.django_db
Kind = Offer.VatDocumentKind
XSD = Path(__file__).parent / "fixtures" / "ubl-2.1" / "xsd" / "maindoc"
UBL = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


@cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD / f"UBL-{name}-2.1.xsd")))


def _valid(xml: bytes, name: str) -> etree._Element:
    document = etree.fromstring(xml)
    schema = _schema(name)
    assert schema.validate(document), schema.error_log
    return document


def test_every_kind_and_its_correction_is_valid_ubl(django_capture_on_commit_callbacks):
    def set_up(payouts):
        credit, self_billed, settlement = payouts
        Offer.objects.filter(pk=self_billed.offer_id).update(
            vat_document_kind=Kind.SELF_BILLED_INVOICE
        )
        admin = self_billed.reseller.members.filter(is_company_admin=True).first()
        self_billing_agreement_accept(
            reseller=self_billed.reseller, user=admin, ip=None
        )
        Offer.objects.filter(pk=settlement.offer_id).update(
            vat_document_kind=Kind.SETTLEMENT_NOTE
        )
        Reseller.objects.filter(pk=credit.reseller_id).update(
            country="DE", vat_number="DE136695976"
        )

    with django_capture_on_commit_callbacks(execute=True):
        credit, self_billed, settlement = pay(count=3, before_booking=set_up)

    note = _valid(
        ubl_build(VatDocument.objects.get(payout=credit).content), "CreditNote"
    )
    assert note.findtext(f"{UBL}CreditNoteTypeCode") == "381"
    assert note.findtext(f".//{UBL}TaxExemptionReasonCode") == "VATEX-EU-AE"

    invoice = VatDocument.objects.get(payout=self_billed)
    xml = _valid(ubl_build(invoice.content), "Invoice")
    assert xml.findtext(f"{UBL}InvoiceTypeCode") == "389"
    assert "Självfakturering" in [n.text for n in xml.iter(f"{UBL}Note")]
    assert xml.findtext(f"{UBL}ID") == invoice.number

    _valid(ubl_build(VatDocument.objects.get(payout=settlement).content), "CreditNote")

    with django_capture_on_commit_callbacks(execute=True):
        return_payment(credit, VatDocument.objects.get(payout=credit).batch_id)
    correction = VatDocument.objects.get(payout=credit, purpose="correction")
    xml = _valid(ubl_build(correction.content), "CreditNote")
    assert xml.findtext(f".//{UBL}PayableAmount") == "0.00"
    references = xml.findall(
        ".//{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
        "InvoiceDocumentReference"
    )
    assert references[0].findtext(f"{UBL}ID") == correction.corrects.number


def test_the_schema_check_is_real():
    """A credit note without its mandatory ID and parties does not validate."""
    broken = (
        b'<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        b'CreditNote-2"/>'
    )
    assert not _schema("CreditNote").validate(etree.fromstring(broken))

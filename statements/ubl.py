"""A VAT document as UBL 2.1 (Peppol BIS Billing 3.0, EN 16931), built with
lxml from the document's frozen content, so it says what its PDF says.

A credit note or a settlement note is a CreditNote (type 381); a self-billed
invoice is an Invoice of type 389 under Peppol's self-billing profile. The
payment has already been made by wire transfer: the whole amount is prepaid
and nothing is payable. A correction carries the negative amounts and names
the document it corrects (BillingReference).
"""

from decimal import Decimal
from typing import Any

from lxml import etree

from offers.models import Offer

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
ROOT_NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
BILLING = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
)
SELF_BILLING = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:selfbilling:3.0",
    "urn:fdc:peppol.eu:2017:poacc:selfbilling:01:1.0",
)
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "O": "VATEX-EU-O"}


def _el(parent, name: str, text: Any = None, **attributes) -> etree._Element:
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _amount(parent, name: str, value: str, currency: str) -> None:
    _el(parent, name, f"{Decimal(value):.2f}", currencyID=currency)


def _party(parent, name: str, party: dict[str, str], with_vat: bool) -> None:
    body = _el(_el(parent, name), "cac:Party")
    _el(_el(body, "cac:PartyName"), "cbc:Name", party["name"])
    address = _el(body, "cac:PostalAddress")
    _el(address, "cbc:StreetName", party["street"])
    _el(address, "cbc:CityName", party["city"])
    _el(address, "cbc:PostalZone", party["postal_code"])
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party["country"])
    if with_vat and party.get("vat_number"):
        scheme = _el(body, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party["vat_number"])
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(body, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party["name"])
    _el(legal, "cbc:CompanyID", party["org_number"])


def _category(parent, name: str, vat: dict[str, str], wording) -> None:
    category = _el(parent, name)
    _el(category, "cbc:ID", vat["category"])
    _el(category, "cbc:Percent", f"{Decimal(vat['rate']):.2f}")
    if name == "cac:TaxCategory" and vat["category"] in EXEMPTION_CODES:
        _el(category, "cbc:TaxExemptionReasonCode", EXEMPTION_CODES[vat["category"]])
        if wording:
            _el(category, "cbc:TaxExemptionReason", wording["en"])
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_build(content: dict[str, Any]) -> bytes:
    """The UBL 2.1 document of a VAT document's content, UTF-8 with declaration."""
    self_billed = content["kind"] == Offer.VatDocumentKind.SELF_BILLED_INVOICE
    root_name = "Invoice" if self_billed else "CreditNote"
    line_name, quantity_name = (
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
        if self_billed
        else ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    )
    currency = content["currency"]
    root = etree.Element(
        f"{{{ROOT_NS[root_name]}}}{root_name}",
        nsmap={None: ROOT_NS[root_name], **NS},
    )
    customization, profile = SELF_BILLING if self_billed else BILLING
    _el(root, "cbc:CustomizationID", customization)
    _el(root, "cbc:ProfileID", profile)
    _el(root, "cbc:ID", content["number"])
    _el(root, "cbc:IssueDate", content["issue_date"])
    if self_billed:
        _el(root, "cbc:InvoiceTypeCode", "389")
    else:
        _el(root, "cbc:CreditNoteTypeCode", "381")
    if content.get("self_billing"):
        _el(root, "cbc:Note", content["self_billing"]["sv"])
    if content.get("wording"):
        _el(root, "cbc:Note", f"{content['wording']['sv']} {content['wording']['en']}")
    _el(root, "cbc:DocumentCurrencyCode", currency)
    _el(root, "cbc:BuyerReference", content["payment_id"])
    period = _el(root, "cac:InvoicePeriod")
    _el(period, "cbc:StartDate", content["sale_period"][0])
    _el(period, "cbc:EndDate", content["sale_period"][1])
    if content.get("corrects"):
        reference = _el(
            _el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"
        )
        _el(reference, "cbc:ID", content["corrects"]["number"])
        _el(reference, "cbc:IssueDate", content["corrects"]["issue_date"])
    with_vat = any(row["category"] in ("S", "AE") for row in content["vat"])
    _party(root, "cac:AccountingSupplierParty", content["supplier"], with_vat)
    _party(root, "cac:AccountingCustomerParty", content["customer"], with_vat)
    tax_total = _el(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", content["vat_total"], currency)
    for row in content["vat"]:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", row["taxable"], currency)
        _amount(subtotal, "cbc:TaxAmount", row["vat"], currency)
        _category(subtotal, "cac:TaxCategory", row, content.get("wording"))
    totals = _el(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", content["taxable_total"], currency)
    _amount(totals, "cbc:TaxExclusiveAmount", content["taxable_total"], currency)
    _amount(totals, "cbc:TaxInclusiveAmount", content["total"], currency)
    # Paid already by wire transfer (the statement's payment id).
    _amount(totals, "cbc:PrepaidAmount", content["total"], currency)
    _amount(totals, "cbc:PayableAmount", "0", currency)
    row = content["vat"][0]
    for number, line in enumerate(content["lines"], start=1):
        element = _el(root, line_name)
        _el(element, "cbc:ID", number)
        _el(element, quantity_name, "1", unitCode="C62")
        # The line's net amount: the document's single rate applies to it.
        _amount(element, "cbc:LineExtensionAmount", content["taxable_total"], currency)
        item = _el(element, "cac:Item")
        _el(item, "cbc:Description", ", ".join(line["agreement_numbers"]))
        _el(item, "cbc:Name", f"{line['claim_reference']} {line['offer']}"[:100])
        _category(item, "cac:ClassifiedTaxCategory", row, None)
        _amount(
            _el(element, "cac:Price"),
            "cbc:PriceAmount",
            content["taxable_total"],
            currency,
        )
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )

"""A reseller's bookkeeper in the browser: from the payouts page to the
Statements page, downloading a paid payout's statement PDF and the UBL of its
VAT document (R25)."""

import pytest
from lxml import etree

from statements.models import PaymentStatement, VatDocument
from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.helpers import click, log_in
from tests.statements.conftest import pay

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reseller_downloads_the_statement_and_ubl_of_a_paid_payout(page):
    (payout,) = pay()  # the booking's commit issues the documents
    statement = PaymentStatement.objects.get(payout=payout)
    document = VatDocument.objects.get(payout=payout)
    admin = payout.reseller.members.get(is_company_admin=True)
    log_in(page, admin.email, next_url="/payouts/")
    page.wait_for_url("**/payouts/")
    click(
        page,
        page.get_by_role(
            "link", name="Specifikationer och momsdokument för betalningarna"
        ),
    )
    page.wait_for_url("**/statements/")
    assert page.locator("h1").inner_text() == "Specifikationer"
    assert payout.claim.reference in page.locator("#statements").inner_text()
    assert serious_violations(page) == []
    screenshot(page, "statements-list")

    for link in (statement.payment_id, document.number):
        click(page, page.get_by_role("link", name=link, exact=False).first)
        assert serious_violations(page) == []
        screenshot(page, f"statements-{link}")
        page.go_back()

    with page.expect_download() as pdf:
        page.get_by_role(
            "link", name=f"PDF av specifikation {statement.payment_id}"
        ).click()
    assert pdf.value.path().read_bytes()[:4] == b"%PDF"
    assert pdf.value.suggested_filename == f"statement-{statement.payment_id}.pdf"

    with page.expect_download() as ubl:
        page.get_by_role("link", name=f"UBL av {document.number}").click()
    root = etree.parse(ubl.value.path()).getroot()
    assert etree.QName(root).localname == "CreditNote"
    assert (
        root.findtext(
            "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"
        )
        == document.number
    )

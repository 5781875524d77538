"""The reseller's Statements page, its documents and downloads, and who may
read them: a company its own only (404 otherwise), staff by permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from statements.models import SelfBillingAgreement, VatDocument
from statements.services import self_billing_agreement_accept
from tests.resellers.factories import StaffUserFactory, UserFactory
from tests.statements.conftest import pay, statement_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    return payout


def _admin(payout):
    return payout.reseller.members.filter(is_company_admin=True).first()


def _urls(payout) -> list[str]:
    statement = statement_of(payout)
    document = VatDocument.objects.get(payout=payout)
    return [
        reverse("statements:detail", args=[statement.pk]),
        reverse("statements:pdf", args=[statement.pk]),
        reverse("statements:document", args=[document.pk]),
        reverse("statements:document_pdf", args=[document.pk]),
        reverse("statements:document_ubl", args=[document.pk]),
    ]


def test_the_company_reads_its_statements_and_downloads_them(client, paid):
    client.force_login(_admin(paid))
    response = client.get(reverse("statements:list"))
    html = response.content.decode()
    document = VatDocument.objects.get(payout=paid)
    assert response.status_code == 200
    assert paid.claim.reference in html and document.number in html
    assert response.context["year"] == 2027
    (total,) = response.context["summary"]
    assert (total.currency, total.payments, str(total.paid)) == ("SEK", 1, "1000.00")
    assert (str(total.taxable), str(total.vat)) == ("800.00", "200.00")
    detail, pdf, page, document_pdf, ubl = (client.get(url) for url in _urls(paid))
    assert detail.status_code == page.status_code == 200
    assert paid.claim.reference in detail.content.decode()
    assert document.number in page.content.decode()
    for download in (pdf, document_pdf):
        assert download["Content-Type"] == "application/pdf"
        assert download.content.startswith(b"%PDF")
        assert download["Cache-Control"] == "private, no-store"
    assert ubl["Content-Type"] == "application/xml"
    assert b"<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" in ubl.content


def test_the_payouts_page_and_the_claim_link_to_the_statement(client, paid):
    client.force_login(_admin(paid))
    payouts = client.get(reverse("payouts:list")).content.decode()
    assert reverse("statements:list") in payouts
    claim = client.get(paid.claim.get_absolute_url()).content.decode()
    assert reverse("statements:detail", args=[statement_of(paid).pk]) in claim


def test_another_company_gets_404_for_every_document(client, paid):
    client.force_login(UserFactory())
    for url in _urls(paid):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("statements:list")).content.decode()
    assert paid.claim.reference not in listing


def test_staff_read_documents_only_with_the_permission(client, paid):
    staff = StaffUserFactory()
    client.force_login(staff)
    for url in _urls(paid):
        assert client.get(url).status_code == 403, url
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_paymentstatement", "view_vatdocument"]
        )
    )
    client.force_login(staff)
    for url in _urls(paid):
        assert client.get(url).status_code == 200, url


def test_the_list_runs_a_fixed_number_of_queries(
    client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A company with one statement and one with four: the same queries."""
    from claims.models import Claim
    from payouts.models import Payout

    def four_to_one_company(payouts):
        many = payouts[1].reseller
        others = [payout.pk for payout in payouts[2:]]
        Payout.objects.filter(pk__in=others).update(reseller=many)
        Claim.objects.filter(payout__pk__in=others).update(reseller=many)

    with django_capture_on_commit_callbacks(execute=True):
        payouts = pay(count=5, before_booking=four_to_one_company)
    url = reverse("statements:list")
    client.force_login(_admin(payouts[0]))
    client.get(url)
    # A literal: paying five payouts filled the connection's query log, whose
    # indexes a captured count would be read from.
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 1
    client.force_login(_admin(payouts[1]))
    client.get(url)
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 4
    # The agreement in force comes with who accepted it: no read while rendering.
    admin = _admin(payouts[1])
    self_billing_agreement_accept(reseller=admin.reseller, user=admin, ip=None)
    client.get(url)
    with django_assert_num_queries(7):
        response = client.get(url)
    assert admin.display_name in response.content.decode()


def test_a_company_admin_accepts_self_billing_and_a_colleague_cannot(client, paid):
    colleague = UserFactory(reseller=paid.reseller)
    client.force_login(colleague)
    response = client.post(
        reverse("statements:self_billing"), {"answer": "accept"}, follow=True
    )
    assert "Only a company admin" in response.content.decode()
    assert not SelfBillingAgreement.objects.exists()
    admin = _admin(paid)
    client.force_login(admin)
    response = client.post(
        reverse("statements:self_billing"), {"answer": "accept"}, follow=True
    )
    agreement = SelfBillingAgreement.objects.get(reseller=paid.reseller)
    assert agreement.accepted_by == admin
    assert agreement.accepted_ip == "127.0.0.1"
    assert "Withdraw self-billing" in response.content.decode()


def test_the_page_reads_in_swedish(client, paid):
    user = _admin(paid)
    user.preferred_language = "sv"
    user.save(update_fields=["preferred_language"])
    client.force_login(user)
    html = client.get(reverse("statements:list"), HTTP_ACCEPT_LANGUAGE="sv").content
    assert "Specifikationer" in html.decode()
    assert "Sammanställning för 2027" in html.decode()


def test_documents_write_dates_and_money_in_the_readers_format(client, paid):
    """The frozen ISO dates and amounts read as everywhere else (issue 28)."""
    client.force_login(_admin(paid))
    statement, _pdf, document, _document_pdf, _ubl = _urls(paid)
    html = client.get(statement).content.decode()
    assert "1 March 2027" in html and "2027-03-01" not in html
    assert "SEK\xa01,000.00" in html
    html = client.get(document).content.decode()
    assert "The sales of 1 July 2026 to 31 December 2026" in html
    assert "2026-07-01" not in html
    assert "SEK\xa01,000.00" in html

"""The reseller pages: filing, the list, the claim page, uploads and downloads."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Claim, InvoiceDocument
from claims.services import claim_request_invoice
from tests.claims.factories import ClaimFactory
from tests.resellers.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_window")]

SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_form_shows_the_terms_in_full(signed_in, offer):
    response = signed_in.get(reverse("claims:file", args=[offer.slug]))
    assert response.status_code == 200
    assert offer.terms.latest().text_en in response.content.decode()


def test_filing_through_the_form(signed_in, offer, sale):
    response = signed_in.post(
        reverse("claims:file", args=[offer.slug]),
        {
            "agreement_numbers": f" {sale.agreement_number} ",
            "accepted_terms": "on",
            "terms_version": offer.terms.latest().version,
        },
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == claim.get_absolute_url()
    assert claim.terms_accepted_ip == "127.0.0.1"


def test_refusal_is_shown_on_the_field_in_swedish(signed_in, offer, user):
    user.preferred_language = "sv"
    user.save(update_fields=["preferred_language"])
    response = signed_in.post(
        reverse("claims:file", args=[offer.slug]), {"agreement_numbers": "87000001"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["accepted_terms"]
    assert not Claim.objects.exists()


def test_an_unknown_offer_is_404(signed_in):
    assert signed_in.get("/offers/nope/claim/").status_code == 404


def test_list_runs_a_fixed_number_of_queries(
    signed_in, user, django_assert_num_queries
):
    """The same count for 1 and 25 claims (paginated)."""
    url = reverse("claims:list")
    ClaimFactory(reseller=user.reseller, submitted_by=user)
    signed_in.get(url)
    with django_assert_num_queries(3) as one:
        signed_in.get(url)
    ClaimFactory.create_batch(24, reseller=user.reseller, submitted_by=user)
    with django_assert_num_queries(len(one.captured_queries)):
        response = signed_in.get(url)
    assert len(response.context["rows"]) == 20
    assert response.context["page"].paginator.count == 25


def test_another_companys_claim_is_404(signed_in):
    other = ClaimFactory()
    assert signed_in.get(other.get_absolute_url()).status_code == 404
    url = reverse("claims:withdraw", args=[other.reference])
    assert signed_in.post(url).status_code == 404
    assert Claim.objects.get().status == Claim.Status.SUBMITTED


def test_detail_shows_agreements_terms_and_timeline(signed_in, user, reviewer):
    claim = ClaimFactory(
        reseller=user.reseller, submitted_by=user, agreement_numbers=["87000001"]
    )
    claim_request_invoice(claim=claim, actor=reviewer, message="Send invoice 4711.")
    page = signed_in.get(claim.get_absolute_url()).content.decode()
    assert "87000001" in page
    assert "Send invoice 4711." in page
    assert "asked for a copy of the customer invoice" in page
    assert reviewer.email not in page  # reviewers stay anonymous


def test_withdraw_button(signed_in, user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    signed_in.post(reverse("claims:withdraw", args=[claim.reference]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN


@pytest.fixture
def requested(user, reviewer):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    claim_request_invoice(claim=claim, actor=reviewer, message="Please.")
    return claim


def upload(client, claim, name, content, content_type="application/pdf"):
    return client.post(
        reverse("claims:upload_invoice", args=[claim.reference]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_a_real_pdf_is_accepted_and_stored_privately(signed_in, requested, settings):
    response = upload(signed_in, requested, "../../etc/passwd.pdf", SMALL_PDF)
    assert response.status_code == 302
    document = InvoiceDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert document.original_name.endswith("passwd.pdf")
    assert "passwd" not in document.file.name
    assert document.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    requested.refresh_from_db()
    assert requested.status == Claim.Status.IN_REVIEW


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, "not a PDF, PNG or JPEG"),
        ("invoice.pdf", b"", "empty"),
        ("invoice.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "larger than 10 MB"),
    ],
    ids=["renamed-executable", "empty", "10MB+1"],
)
def test_bad_files_are_refused_with_a_message(
    signed_in, requested, name, content, words
):
    response = upload(signed_in, requested, name, content)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not InvoiceDocument.objects.exists()
    requested.refresh_from_db()
    assert requested.status == Claim.Status.INFO_REQUESTED


def test_a_file_of_exactly_10_mb_is_accepted(signed_in, requested):
    content = b"%PDF-" + b"0" * (10 * 1024 * 1024 - 5)
    assert upload(signed_in, requested, "big.pdf", content).status_code == 302


def test_upload_is_refused_when_nothing_was_asked(signed_in, user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    response = upload(signed_in, claim, "invoice.pdf", SMALL_PDF)
    assert response.status_code == 400
    assert not InvoiceDocument.objects.exists()


def test_download_is_an_attachment_for_the_company_and_staff_only(
    client, signed_in, requested, reviewer
):
    upload(signed_in, requested, "invoice.pdf", SMALL_PDF)
    document = InvoiceDocument.objects.get()
    url = reverse("claims:invoice", args=[requested.reference, document.pk])
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == SMALL_PDF
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(reviewer)
    assert client.get(url).status_code == 403  # staff, but not a reviewer
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_dispute_form(signed_in, user, reviewer):
    from claims.services import claim_reject

    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    claim_reject(claim=claim, actor=reviewer, reason_code="other", reason="No.")
    url = reverse("claims:dispute", args=[claim.reference])
    assert signed_in.post(url, {"comment": ""}).status_code == 400
    assert signed_in.post(url, {"comment": "It was sold in time."}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DISPUTED


def _file_from(client, offer, sale, **headers):
    return client.post(
        reverse("claims:file", args=[offer.slug]),
        {
            "agreement_numbers": sale.agreement_number,
            "accepted_terms": "on",
            "terms_version": offer.terms.latest().version,
        },
        **headers,
    )


def test_behind_the_proxy_the_terms_record_the_clients_address(
    signed_in, offer, sale, settings
):
    """With one trusted proxy, the address it appends to X-Forwarded-For is the
    client's: that is what the accepted terms record (as the rate limits and
    the security log see it), not the proxy's own address."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    response = _file_from(
        signed_in,
        offer,
        sale,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert response.status_code == 302
    assert Claim.objects.get().terms_accepted_ip == "203.0.113.7"


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(
    signed_in, offer, sale, settings
):
    """A client cannot choose its recorded address by sending the header."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    _file_from(signed_in, offer, sale, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert Claim.objects.get().terms_accepted_ip == "127.0.0.1"


# Issue 28: a filing with a number the ledger does not hold became a claim
# worth "EUR 0" with "Nothing to do now".


def test_the_filer_is_told_at_once_that_a_number_is_unknown(signed_in, offer, sale):
    response = signed_in.post(
        reverse("claims:file", args=[offer.slug]),
        {
            "agreement_numbers": f"{sale.agreement_number}\n99999998",
            "accepted_terms": "on",
            "terms_version": offer.terms.latest().version,
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    notice = html.split('id="unknown-numbers"', 1)[1].split("</div>", 1)[0]
    assert "99999998" in notice
    assert sale.agreement_number not in notice
    assert "among the Open agreements we know" in notice
    assert "withdraw" in notice


def test_a_claim_whose_numbers_are_all_known_has_no_such_notice(signed_in, offer, sale):
    response = signed_in.post(
        reverse("claims:file", args=[offer.slug]),
        {
            "agreement_numbers": sale.agreement_number,
            "accepted_terms": "on",
            "terms_version": offer.terms.latest().version,
        },
        follow=True,
    )
    assert 'id="unknown-numbers"' not in response.content.decode()


def test_the_help_names_every_separator_the_form_accepts(signed_in, offer):
    """What the help text says works does: lines, commas, semicolons, and
    spaces, dashes, dots or slashes inside a number."""
    from claims.numbers import agreement_numbers_parse, agreement_numbers_split

    html = signed_in.get(
        reverse("claims:file", args=[offer.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "One per line, or separated by commas or semicolons" in html
    assert "Spaces, dashes, dots and slashes inside a number do not matter" in html
    entries = agreement_numbers_split("1234 5678, 8765-4321; 1111.2222\n3333/4444")
    numbers, errors = agreement_numbers_parse(entries)
    assert numbers == ["12345678", "87654321", "11112222", "33334444"]
    assert errors == []

"""Nobody sees what is not theirs: every reseller URL that names an object.

The URLs are discovered from the URLconf, so a new reseller URL with a
parameter fails `test_every_reseller_url_with_a_parameter_is_covered` until it
is added to CASES (owned objects) or SHARED (objects every reseller may see).
"""

import hashlib
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from claims.models import Claim, InvoiceDocument
from payouts.services import bank_details_link
from portal.privacy.export import data_export_build
from portal.privacy.models import DataExport
from tests.claims.factories import ClaimFactory
from tests.payouts.conftest import sign_in_fresh
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import ResellerFactory, UserFactory

RESELLER_NAMESPACES = (
    "resellers",
    "offers",
    "claims",
    "payouts",
    "privacy",
    "statements",
)

# Offers are the program's catalogue: every signed-in reseller may read them.
SHARED = {"offers:detail", "claims:file"}
# The "this was not us" link needs no sign-in: its signed token is the proof
# (tests/payouts/test_holds.py: a forged token is a 404, a GET freezes nothing).
PUBLIC = {"payouts:bank_account_objection"}


def reseller_urls_with_parameters() -> set[str]:
    """'namespace:name' of every URL in the reseller apps that takes a parameter."""
    found = set()
    for namespace in RESELLER_NAMESPACES:
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        for pattern in resolver.url_patterns:
            assert not isinstance(pattern, URLResolver), "nested include: walk it"
            if pattern.pattern.converters or pattern.pattern.regex.groups:
                found.add(f"{namespace}:{pattern.name}")
    return found


@dataclass
class World:
    """Company A's objects, a user of A, and a user of another company B."""

    owner: object
    outsider: object
    claim: Claim
    invoice: InvoiceDocument
    payout: object
    colleague: object
    export: object


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    company = ResellerFactory()
    owner = UserFactory(reseller=company, is_company_admin=True)
    colleague = UserFactory(reseller=company)
    claim = ClaimFactory(reseller=company, submitted_by=owner)
    content = b"%PDF-1.4 test"
    invoice = InvoiceDocument(
        claim=claim,
        original_name="invoice.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=owner,
    )
    invoice.file.save("invoice", ContentFile(content), save=False)
    invoice.save()
    payout = PayoutFactory(
        claim=ClaimFactory(
            reseller=company, submitted_by=owner, status=Claim.Status.APPROVED
        )
    )
    # The other company's admin: the most a reseller user can be.
    outsider = UserFactory(reseller=ResellerFactory(), is_company_admin=True)
    export = DataExport.objects.create(user=owner, token="e" * 64)
    export = data_export_build(export_id=export.pk)
    return World(owner, outsider, claim, invoice, payout, colleague, export)


# name -> (method, path builder, what the owner gets)
CASES = {
    "claims:detail": ("get", lambda w: [w.claim.reference], {200}),
    "claims:withdraw": ("post", lambda w: [w.claim.reference], {302}),
    "claims:dispute": ("post", lambda w: [w.claim.reference], {302, 400}),
    "claims:upload_invoice": ("post", lambda w: [w.claim.reference], {302, 400}),
    "claims:invoice": ("get", lambda w: [w.claim.reference, w.invoice.pk], {200}),
    "payouts:bank_details": ("get", lambda w: [w.payout.pk], {200}),
    "payouts:bank_details_link": ("get", lambda w: None, {302}),
    "resellers:member_remove": ("post", lambda w: [w.colleague.pk], {302}),
    "resellers:member_make_admin": ("post", lambda w: [w.colleague.pk], {302}),
    "resellers:member_approve": ("post", lambda w: [w.colleague.pk], {302}),
    # A person's copy of their data: theirs alone, not even their company's.
    "privacy:export_download": ("get", lambda w: [w.export.token], {200}),
    "statements:detail": ("get", lambda w: [_statement(w).pk], {200}),
    "statements:pdf": ("get", lambda w: [_statement(w).pk], {200}),
    "statements:document": ("get", lambda w: [_document(w).pk], {200}),
    "statements:document_pdf": ("get", lambda w: [_document(w).pk], {200}),
    "statements:document_ubl": ("get", lambda w: [_document(w).pk], {200}),
}


def _statement(world: World):
    """Company A's payout paid in a batch the bank booked, and its documents."""
    import datetime as dt

    from payouts.bank.models import BatchPayment
    from payouts.models import PaymentBatch
    from statements.models import PaymentStatement
    from statements.services import payment_documents_issue
    from tests.resellers.factories import StaffUserFactory

    found = PaymentStatement.objects.filter(payout=world.payout).first()
    if found is not None:
        return found
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id=f"SEC-{world.payout.pk}",
        status=PaymentBatch.Status.CLOSED,
        created_by=StaffUserFactory(),
    )
    BatchPayment.objects.create(
        batch=batch,
        payout=world.payout,
        end_to_end_id=world.payout.claim.reference,
        amount=world.payout.amount,
        currency="SEK",
        answer=BatchPayment.Answer.BOOKED,
    )
    return payment_documents_issue(
        payout_id=world.payout.pk, batch_id=batch.pk, booked_on=dt.date(2027, 3, 1)
    )


def _document(world: World):
    return _statement(world).vat_documents.get()


def url_for(name: str, world: World) -> str:
    if name == "payouts:bank_details_link":
        return bank_details_link(world.payout).removeprefix(
            settings.PORTAL_URL.rstrip("/")
        )
    return reverse(name, args=CASES[name][1](world))


def test_every_reseller_url_with_a_parameter_is_covered():
    """A reseller URL taking an id, reference, token or slug is in CASES or SHARED."""
    missing = reseller_urls_with_parameters() - set(CASES) - SHARED - PUBLIC
    assert not missing, f"add these URLs to the access tests: {sorted(missing)}"
    assert set(CASES) <= reseller_urls_with_parameters(), "stale entries in CASES"


@pytest.mark.parametrize("name", sorted(CASES))
def test_another_companys_user_gets_404(name, world, client):
    """A user of company B naming company A's object gets 404, and nothing changes."""
    sign_in_fresh(client, world.outsider)
    method = CASES[name][0]
    response = getattr(client, method)(url_for(name, world), follow=False)
    if name == "payouts:bank_details_link":
        # The link only redirects; the page it points at must refuse B.
        assert response.status_code in {302, 404}
        if response.status_code == 302:
            response = client.get(response["Location"])
    assert response.status_code == 404
    world.claim.refresh_from_db()
    assert world.claim.status == Claim.Status.SUBMITTED
    world.colleague.refresh_from_db()
    assert world.colleague.reseller_id == world.owner.reseller_id


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_owning_company_reaches_it(name, world, client):
    """The same URL works for company A's user (so the 404 above means something)."""
    sign_in_fresh(client, world.owner)
    method, _args, expected = CASES[name]
    response = getattr(client, method)(url_for(name, world))
    assert response.status_code in expected


@pytest.mark.parametrize("name", sorted(CASES) + sorted(SHARED))
def test_a_visitor_is_sent_to_log_in(name, world, client):
    """Without a session every one of these URLs redirects to the log-in page."""
    if name in SHARED:
        method = "get"
        url = reverse(name, args=[world.claim.offer.slug])
    else:
        method, url = CASES[name][0], url_for(name, world)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")

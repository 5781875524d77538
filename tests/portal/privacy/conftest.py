"""A person who did everything the portal records, and a stranger beside them."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cashback.models import OutboxMessage
from claims.models import Claim
from claims.services import (
    claim_approve,
    claim_request_invoice,
    claim_start_review,
    claim_upload_invoice,
)
from payouts.services import bank_account_submit
from resellers.models import ResellerEvent
from statements.services import self_billing_agreement_accept
from tests.claims.factories import ClaimEventFactory, ClaimFactory
from tests.claims.test_pages import SMALL_PDF
from tests.payouts.conftest import account_on_file
from tests.resellers.factories import ResellerFactory, ReviewerFactory, UserFactory

IBAN = "SE4550000000058398257466"
NEW_IBAN = "SE3550000000054910000003"


@dataclass
class Person:
    user: object
    reseller: object
    claim: Claim
    name: str
    email: str


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def person_who_did_everything(
    client, *, first: str, last: str, email: str, company: str
) -> Person:
    """Signed in (a session and a log-in row), filed a claim that was reviewed,
    uploaded the invoice copy asked for, changed the company's bank details,
    accepted self-billing for the company, and was written to."""
    reseller = ResellerFactory(legal_name=company, domain=email.split("@")[1])
    user = UserFactory(
        reseller=reseller,
        email=email,
        first_name=first,
        last_name=last,
        is_company_admin=True,
    )
    account_on_file(reseller, user=user)
    client.force_login(user)
    reviewer = ReviewerFactory()
    claim = ClaimFactory(reseller=reseller, submitted_by=user)
    ClaimEventFactory(claim=claim, actor=user)
    claim_start_review(claim=claim, actor=reviewer)
    claim_request_invoice(claim=claim, actor=reviewer, message="Send the invoice.")
    claim_upload_invoice(
        claim=claim,
        user=user,
        upload=SimpleUploadedFile("invoice.pdf", SMALL_PDF, "application/pdf"),
    )
    claim_approve(claim=claim, actor=reviewer)
    bank_account_submit(
        reseller=reseller,
        user=user,
        beneficiary_name=company,
        iban=NEW_IBAN,
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        payout=claim.payout,
    )
    self_billing_agreement_accept(reseller=reseller, user=user, ip="192.0.2.44")
    ResellerEvent.objects.create(
        reseller=reseller,
        actor=user,
        kind=ResellerEvent.Kind.PROFILE_CHANGED,
        detail={"fields": ["city"]},
    )
    OutboxMessage.objects.create(
        dedup_key=f"test-hello:{user.pk}",
        recipients=[email],
        subject="Hello",
        text_body=f"Hello {first} {last}, welcome.",
    )
    claim.refresh_from_db()
    return Person(user, reseller, claim, f"{first} {last}", email)


@pytest.fixture
def person(db, client):
    return person_who_did_everything(
        client,
        first="Ingrid",
        last="Västerberg",
        email="ingrid.vasterberg@vasterberg-data.example",
        company="Västerberg Data AB",
    )


@pytest.fixture
def stranger(db, client_factory=None):
    from django.test import Client

    return person_who_did_everything(
        Client(),
        first="Bertil",
        last="Oxelgren",
        email="bertil.oxelgren@oxelgren-licens.example",
        company="Oxelgren Licens AB",
    )

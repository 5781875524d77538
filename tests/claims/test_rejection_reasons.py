"""Rejection reasons are stored as codes and read in the reader's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from cashback.models import OutboxMessage
from claims.models import Claim, ClaimEvent, RejectionReason
from claims.services import ClaimError, claim_reject
from tests.claims.factories import ClaimFactory
from tests.resellers.factories import ReviewerFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_window")]

ENGLISH = "The sale is outside the sale period. Sold in June."
SWEDISH = "Försäljningen ligger utanför försäljningsperioden. Sold in June."


@pytest.fixture
def rejected(user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    # An English-speaking reviewer: the reason must not freeze in English.
    with translation.override("en"):
        claim_reject(
            claim=claim,
            actor=ReviewerFactory(preferred_language="en"),
            reason_code=RejectionReason.OUTSIDE_SALE_PERIOD,
            reason="Sold in June.",
        )
    claim.refresh_from_db()
    return claim


def test_the_code_and_the_reviewers_words_are_stored_apart(rejected):
    assert rejected.decision_reason_code == "outside_sale_period"
    assert rejected.decision_reason == "Sold in June."
    event = rejected.events.get(kind=ClaimEvent.Kind.REJECTED)
    assert (event.reason_code, event.message) == (
        "outside_sale_period",
        "Sold in June.",
    )


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("sv", SWEDISH)])
def test_the_claim_page_shows_the_reason_in_the_readers_language(
    client, user, rejected, language, expected
):
    """The reason line and the timeline, both in the page's language."""
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client.force_login(user)
    response = client.get(reverse("claims:detail", args=[rejected.reference]))
    assert response.status_code == 200
    assert response.text.count(expected) == 2  # the reason and the timeline


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("sv", SWEDISH)])
def test_the_email_gives_the_reason_in_the_recipients_language(
    reseller, language, expected
):
    reseller.preferred_language = language
    reseller.save(update_fields=["preferred_language"])
    user = UserFactory(reseller=reseller, preferred_language="")
    claim = ClaimFactory(reseller=reseller, submitted_by=user)
    with translation.override("en" if language == "sv" else "sv"):
        claim_reject(
            claim=claim,
            actor=ReviewerFactory(),
            reason_code=RejectionReason.OUTSIDE_SALE_PERIOD,
            reason="Sold in June.",
        )
    message = OutboxMessage.objects.get(recipients=[user.email])
    assert expected in message.text_body


def test_other_needs_the_reviewers_words(user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    with pytest.raises(ClaimError):
        claim_reject(claim=claim, actor=ReviewerFactory(), reason_code="other")
    with pytest.raises(ClaimError):
        claim_reject(claim=claim, actor=ReviewerFactory(), reason_code="made_up")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED

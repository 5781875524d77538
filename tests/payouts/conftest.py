"""Helpers for the payouts tests: approving a claim the way the claims app does."""

import pytest
from django.db import transaction
from django.urls import reverse

from claims.models import Claim
from claims.signals import claim_approved
from payouts.models import Payout
from tests.resellers.factories import StaffUserFactory


def approve(claim: Claim, reviewer=None) -> Payout:
    """Send claim_approved inside a transaction, as the approval service does."""
    reviewer = reviewer or StaffUserFactory()
    with transaction.atomic():
        claim_approved.send(sender=Claim, claim=claim, actor=reviewer)
    return Payout.objects.get(claim=claim)


FACTORY_PASSWORD = "correct-horse-battery"  # UserFactory's


def sign_in_fresh(client, user) -> None:
    """Sign in, then re-authenticate with the password through allauth's page."""
    client.force_login(user)
    response = client.post(
        reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def operators():
    return StaffUserFactory(), StaffUserFactory()

"""Helpers for the payouts tests: approving a claim the way the claims app does."""

import time

import pytest
from django.db import transaction

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


def sign_in_fresh(client, user) -> None:
    """Sign in and record a password authentication just now (allauth reauth)."""
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email}
    ]
    session.save()


@pytest.fixture
def operators():
    return StaffUserFactory(), StaffUserFactory()

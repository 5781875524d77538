"""Helpers for the payouts tests: approving a claim the way the claims app does."""

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from claims.signals import claim_approved
from payouts.models import Payout
from tests.resellers.factories import StaffUserFactory


def account_on_file(reseller, user=None):
    """A current bank account the company entered before today's payouts
    existed (entering one now would make them ready at once, issue 15)."""
    from payouts.crypto import account_number_encrypt, account_number_fingerprint
    from payouts.models import BankAccount

    number = "SE4550000000058398257466"
    return BankAccount.objects.create(
        reseller=reseller,
        version=1,
        beneficiary_name=reseller.legal_name,
        account_number_encrypted=account_number_encrypt(number),
        account_fingerprint=account_number_fingerprint(number),
        account_last4=number[-4:],
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        created_by=user or reseller.members.first(),
        cooling_off_until=timezone.now(),
    )


def notice_delivered(account):
    """The outbox hands the notice of `account` to the mail server (its own
    delivery, as after commit) and the reminder job's step records it: the
    cooling-off runs from now (issue 27). Returns the account, refreshed."""
    from cashback.models import OutboxMessage
    from cashback.outbox import outbox_message_deliver
    from payouts.services.holds import bank_account_notices_record

    if account.told_notice_key:
        for message_id in OutboxMessage.objects.filter(
            dedup_key__startswith=account.told_notice_key, sent_at__isnull=True
        ).values_list("pk", flat=True):
            outbox_message_deliver(message_id=message_id)
    bank_account_notices_record(now=timezone.now())
    account.refresh_from_db()
    return account


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

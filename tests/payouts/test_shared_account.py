"""A shared account number holds the newcomer, not the victim (issue 27):
entering another company's number holds only the new account, the company
that had it first is told and keeps being paid, an operator clears or
refuses, and a release leaves a held payout out instead of failing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage
from payouts.models import BankAccount, PaymentBatch, Payout
from payouts.services import bank_account_freeze, batch_create
from payouts.services.holds import account_payment_block
from portal.admin_dashboard import dashboard_build
from tests.payouts.bank.conftest import reseller_iban
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.payouts.test_holds import scheduled
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Payout.Status


def shared_figure() -> int:
    figures = {f.label: f.value for f in dashboard_build(claims=False).needs_operator}
    return figures["Accounts shared with another company, to decide"]


def test_entering_another_companys_number_holds_the_newcomer_only(client):
    victim = approve(approved_claim())
    victim_account = scheduled(victim)
    victim_admin = victim.claim.submitted_by
    swede = UserFactory(
        reseller=victim.reseller, is_company_admin=True, preferred_language="sv"
    )
    newcomer = approve(approved_claim())
    number = reseller_iban(victim.pk)
    newcomer_account = scheduled(newcomer, iban=number)

    now = timezone.now()
    newcomer_account.refresh_from_db()
    victim_account.refresh_from_db()
    assert newcomer_account.shared_with_other_reseller
    assert "another company" in account_payment_block(newcomer_account, now=now)
    assert not victim_account.shared_with_other_reseller
    assert account_payment_block(victim_account, now=now) is None

    told = {  # by language, the last part of the key
        message.dedup_key.rsplit(":", 1)[1]: message
        for message in OutboxMessage.objects.filter(
            dedup_key__contains=f":shared:{victim.reseller_id}:"
        )
    }
    assert told["en"].recipients == [victim_admin.email]
    assert told["sv"].recipients == [swede.email]
    assert "Another company entered the bank account" in told["en"].subject
    assert "****" + number[-4:] in told["en"].text_body
    assert newcomer.reseller.legal_name not in told["en"].text_body
    assert not OutboxMessage.objects.filter(
        dedup_key__contains=f":shared:{newcomer.reseller_id}:"
    )
    assert shared_figure() == 1

    # The operator refuses it: the newcomer's payout waits for other details.
    client.force_login(StaffUserFactory(is_superuser=True))
    url = reverse("admin:payouts_bankaccount_changelist")
    asked = client.post(
        url,
        {"action": "refuse_shared_accounts", "_selected_action": [newcomer_account.pk]},
    )
    assert asked.status_code == 200  # asks why
    client.post(
        url,
        {
            "action": "refuse_shared_accounts",
            "_selected_action": [newcomer_account.pk],
            "apply": "1",
            "reason": "Not their account: the owner confirmed by phone",
        },
    )
    newcomer_account.refresh_from_db()
    newcomer.refresh_from_db()
    assert newcomer_account.refused_at is not None
    assert newcomer.status == S.AWAITING_BANK_DETAILS
    assert shared_figure() == 0
    victim.refresh_from_db()
    assert victim.status == S.SCHEDULED


def test_a_company_entering_its_own_number_again_is_not_held():
    """The company that had the number first is not held because another
    entered it after: a new version of its own account is paid as before."""
    first = approve(approved_claim())
    number = reseller_iban(first.pk)
    scheduled(first, iban=number)
    scheduled(approve(approved_claim()), iban=number)  # the newcomer
    again = scheduled(approve(approved_claim(reseller=first.reseller)), iban=number)
    assert not again.shared_with_other_reseller
    assert account_payment_block(again, now=timezone.now()) is None


def test_a_release_leaves_a_held_payout_out_and_says_so(client, operators):
    """One frozen account in a draft batch no longer fails the whole batch."""
    good = approve(approved_claim())
    scheduled(good)
    held = approve(approved_claim())
    held_account = scheduled(held)
    batch = batch_create(currency="SEK", payouts=[good, held], operator=operators[0])
    bank_account_freeze(account=held_account, reason="This was not us")

    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.post(
        reverse("admin:payouts_paymentbatch_changelist"),
        {"action": "release", "_selected_action": [batch.pk], "apply": "1"},
        follow=True,
    )
    page = response.content.decode()
    assert f"{held.claim.reference} left out" in page
    batch.refresh_from_db()
    good.refresh_from_db()
    held.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
    assert good.status == S.IN_BATCH and good.batch == batch
    assert held.status == S.SCHEDULED and held.batch is None
    assert batch.total_amount == good.payout_amount
    assert not BankAccount.objects.filter(pk=held_account.pk, frozen_at=None)

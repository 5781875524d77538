"""Removing or demoting a company admin is never silent (issue 27): it asks
for the password again, every admin (the removed one included) is e-mailed a
"this was not us" link that restores them and freezes the money, the
company's account is held for a new cooling-off, and a company always keeps
an admin."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage, SecurityEvent
from cashback.outbox import outbox_relay
from payouts.services import bank_account_verify
from payouts.services.holds import account_payment_block, bank_account_notices_record
from resellers.models import CompanyAdminEnd, ResellerEvent
from resellers.selectors import bank_notice_recipients_by_language
from resellers.services import reseller_member_remove, user_membership_set
from tests.payouts.conftest import account_on_file, approve, sign_in_fresh
from tests.payouts.factories import approved_claim
from tests.payouts.test_bank_details import submit

from .factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/payouts/account-objection/\S+/")


def remove_url(member) -> str:
    return reverse("resellers:member_remove", kwargs={"member_id": member.pk})


def test_a_removed_co_admin_is_told_restores_themself_and_freezes_the_money(client):
    """The attack: admin A removes co-admin B, then enters a new account so
    that only A would hear of it. B is told of the removal and of the new
    account, follows the link signed out, is an admin again, and nothing is
    paid to A's account even after its cooling-off."""
    payout = approve(approved_claim())
    reseller = payout.reseller
    attacker = payout.claim.submitted_by
    victim = UserFactory(reseller=reseller, is_company_admin=True)

    client.force_login(attacker)
    asked = client.post(remove_url(victim))
    assert asked.status_code == 302
    assert "/accounts/reauthenticate/" in asked["Location"]
    victim.refresh_from_db()
    assert (victim.reseller_id, victim.is_company_admin) == (reseller.pk, True)

    sign_in_fresh(client, attacker)
    assert client.post(remove_url(victim)).status_code == 302
    victim.refresh_from_db()
    assert victim.reseller_id is None

    notice = OutboxMessage.objects.get(dedup_key__startswith="company-admin-end:")
    assert sorted(notice.recipients) == sorted([attacker.email, victim.email])
    assert "was removed as a company admin" in notice.subject
    link = LINK.search(notice.text_body).group(0)

    account = submit(payout, user=attacker, delivered=False)
    told = OutboxMessage.objects.get(
        dedup_key__startswith=f"bank-account:{account.pk}:new"
    )
    assert victim.email in told.recipients  # an admin in the last 30 days

    client.logout()
    path = urlsplit(link).path
    assert client.get(path).status_code == 200  # a GET only asks
    victim.refresh_from_db()
    assert victim.reseller_id is None
    page = client.post(path)
    assert "is a company admin of" in page.content.decode()
    victim.refresh_from_db()
    assert (victim.reseller_id, victim.is_company_admin) == (reseller.pk, True)
    account.refresh_from_db()
    assert account.frozen_at is not None
    after_cooling_off = timezone.now() + timedelta(
        days=settings.BANK_ACCOUNT_COOLING_OFF_DAYS + 1
    )
    assert "frozen" in account_payment_block(account, now=after_cooling_off)

    removed = SecurityEvent.objects.get(kind=SecurityEvent.Kind.COMPANY_ADMIN_REMOVED)
    assert (removed.user, removed.ip_address) == (attacker, "127.0.0.1")
    assert removed.detail["target"] == victim.email
    restored = SecurityEvent.objects.get(kind=SecurityEvent.Kind.COMPANY_ADMIN_RESTORED)
    assert restored.user == victim
    assert CompanyAdminEnd.objects.get().restored_at is not None


def test_removing_an_admin_restarts_the_cooling_off_of_a_verified_account(settings):
    """An account an operator verified is held again as a new one is."""
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    colleague = UserFactory(reseller=reseller, is_company_admin=True)
    account = account_on_file(reseller, admin)
    account = bank_account_verify(
        account=account, operator=StaffUserFactory(), method="Called the CFO"
    )
    now = timezone.now()
    assert account_payment_block(account, now=now) is None
    reseller_member_remove(reseller=reseller, actor=admin, member=colleague)
    account.refresh_from_db()
    assert account.verified_at is None
    assert account_payment_block(account, now=now) is not None
    # Counted from when the removal notice reached every admin.
    outbox_relay(older_than=timedelta(0))
    bank_account_notices_record(now=timezone.now())
    account.refresh_from_db()
    days = settings.BANK_ACCOUNT_COOLING_OFF_DAYS
    assert account.cooling_off_until == account.admins_told_at + timedelta(days=days)
    assert account_payment_block(account, now=now + timedelta(days=days + 1)) is None


def test_removing_a_plain_member_asks_no_password(client):
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    member = UserFactory(reseller=reseller)
    client.force_login(admin)
    response = client.post(remove_url(member))
    assert response["Location"] == reverse("resellers:company")
    member.refresh_from_db()
    assert member.reseller_id is None
    assert not CompanyAdminEnd.objects.exists()


def test_the_last_admin_cannot_be_removed_demoted_or_moved_away():
    """Whoever asks (a program manager in admin), the only admin stays."""
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    manager = StaffUserFactory()
    for target, make_admin in ((reseller, False), (None, False)):
        with pytest.raises(ValidationError) as caught:
            user_membership_set(
                user=admin, actor=manager, reseller=target, is_company_admin=make_admin
            )
        assert caught.value.code == "last_admin"
    admin.refresh_from_db()
    assert (admin.reseller_id, admin.is_company_admin) == (reseller.pk, True)
    with pytest.raises(ValidationError):  # nor may they remove themselves
        reseller_member_remove(reseller=reseller, actor=admin, member=admin)


def test_a_demotion_in_admin_is_told_logged_and_recorded():
    """A program manager demoting one of two admins: an end row, an event,
    the security log and the e-mail to both."""
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    other = UserFactory(reseller=reseller, is_company_admin=True)
    manager = StaffUserFactory()
    user_membership_set(
        user=other, actor=manager, reseller=reseller, is_company_admin=False
    )
    end = CompanyAdminEnd.objects.get()
    assert (end.user, end.how, end.ended_by) == (
        other,
        CompanyAdminEnd.How.DEMOTED,
        manager,
    )
    assert ResellerEvent.objects.filter(kind=ResellerEvent.Kind.ADMIN_DEMOTED)
    demoted = SecurityEvent.objects.get(kind=SecurityEvent.Kind.COMPANY_ADMIN_DEMOTED)
    assert (demoted.user, demoted.detail["target"]) == (manager, other.email)
    notice = OutboxMessage.objects.get(dedup_key__startswith="company-admin-end:")
    assert sorted(notice.recipients) == sorted([admin.email, other.email])
    assert "is no longer a company admin" in notice.subject


def test_promotion_is_in_the_security_log(client):
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    colleague = UserFactory(reseller=reseller)
    client.force_login(admin)
    client.post(
        reverse("resellers:member_make_admin", kwargs={"member_id": colleague.pk})
    )
    added = SecurityEvent.objects.get(kind=SecurityEvent.Kind.COMPANY_ADMIN_ADDED)
    assert (added.user, added.detail["target"], added.ip_address) == (
        admin,
        colleague.email,
        "127.0.0.1",
    )


def test_a_former_admin_is_told_of_bank_changes_for_30_days_only():
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    former = UserFactory(reseller=reseller, is_company_admin=True)
    reseller_member_remove(reseller=reseller, actor=admin, member=former)
    now = timezone.now()
    told = bank_notice_recipients_by_language(reseller_id=reseller.pk, now=now)
    assert sorted(told["en"]) == sorted([admin.email, former.email])
    later = now + timedelta(days=settings.FORMER_ADMIN_NOTICE_DAYS + 1)
    told = bank_notice_recipients_by_language(reseller_id=reseller.pk, now=later)
    assert told == {"en": [admin.email]}

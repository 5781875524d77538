"""A company with nobody who may give bank details does not lose its reward
in silence (issue 27): its payout's clock does not start, it is neither
reminded nor forfeited, the operators' dashboard shows it, and the vendor
appoints a verified user as its admin, which starts the clock."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage, SecurityEvent
from cashback.outbox import outbox_relay
from payouts.models import Payout
from payouts.services import notice_dedup_keys, payouts_send_reminders
from portal.admin_dashboard import dashboard_build
from resellers.models import ResellerEvent
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

APPROVED = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)


def sweep_at(time_machine, moment):
    time_machine.move_to(moment, tick=False)
    outbox_relay(older_than=dt.timedelta(0))
    return payouts_send_reminders(now=timezone.now())


@pytest.fixture
def orphan(time_machine):
    """The Fjällsoft case: the company's only users are an approved plain
    member (who would get the notice and cannot act on it) and a member no
    admin approved; a reviewer approves its claim."""
    time_machine.move_to(APPROVED, tick=False)
    reseller = ResellerFactory()
    member = UserFactory(reseller=reseller)
    UserFactory(reseller=reseller, member_approved_at=None)
    payout = approve(approved_claim(reseller=reseller, submitted_by=member))
    return payout, member


def test_no_notice_no_reminder_no_forfeit_without_an_admin(orphan, time_machine):
    payout, _member = orphan
    assert not OutboxMessage.objects.filter(dedup_key__in=notice_dedup_keys(payout))
    for days in (1, 10, 30, 90):
        result = sweep_at(time_machine, APPROVED + dt.timedelta(days=days))
        assert (result.reminders, result.forfeited) == (0, 0)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS
    assert payout.notified_at is None and payout.reminders_sent == 0


def test_a_company_that_loses_its_admin_is_not_reminded_nor_forfeited(time_machine):
    """A clock already running stops being swept while nobody may act."""
    time_machine.move_to(APPROVED, tick=False)
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    payout = approve(approved_claim(reseller=reseller, submitted_by=admin))
    sweep_at(time_machine, APPROVED + dt.timedelta(minutes=5))
    payout.refresh_from_db()
    assert payout.bank_details_due_at is not None
    admin.is_active = False  # closed by staff
    admin.save(update_fields=["is_active"])
    for days in (10, 30, 90):
        result = sweep_at(time_machine, APPROVED + dt.timedelta(days=days))
        assert (result.reminders, result.forfeited) == (0, 0)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS


def test_the_dashboard_shows_it_and_the_filter_lists_it(orphan, client):
    payout, _member = orphan
    ResellerFactory()  # a company with no payout does not count
    figure = dashboard_build(claims=False).needs_operator[0]
    assert (figure.label, figure.value) == ("No one can give bank details", 1)
    client.force_login(StaffUserFactory(is_superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert "No one can give bank details" in page
    listed = client.get(figure.url).content.decode()
    assert payout.claim.reference in listed


def test_the_vendor_appoints_an_admin_who_is_told_and_the_clock_starts(
    orphan, client, time_machine
):
    payout, member = orphan
    staff = StaffUserFactory(is_superuser=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:resellers_user_changelist"),
        {"action": "make_company_admin", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_company_admin
    logged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.COMPANY_ADMIN_ADDED)
    assert (logged.user, logged.detail["target"]) == (staff, member.email)
    assert ResellerEvent.objects.filter(
        kind=ResellerEvent.Kind.ADMIN_ADDED, actor=staff
    ).exists()
    told = OutboxMessage.objects.get(dedup_key__startswith="reseller-admin-appointed:")
    assert told.recipients == [member.email]
    assert "company admin" in told.subject
    assert OutboxMessage.objects.filter(dedup_key__in=notice_dedup_keys(payout))
    assert dashboard_build(claims=False).needs_operator[0].value == 0
    sweep_at(time_machine, APPROVED + dt.timedelta(hours=1))
    payout.refresh_from_db()
    assert payout.notified_at is not None  # the clock runs from now on


def test_an_unverified_user_is_not_made_admin(client):
    reseller = ResellerFactory()
    unverified = UserFactory(reseller=reseller, verified=False)
    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.post(
        reverse("admin:resellers_user_changelist"),
        {"action": "make_company_admin", "_selected_action": [unverified.pk]},
        follow=True,
    )
    assert "is not verified yet" in response.content.decode()
    unverified.refresh_from_db()
    assert not unverified.is_company_admin

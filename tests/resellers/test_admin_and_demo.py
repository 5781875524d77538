"""Vendor staff: approving held resellers, domain rules; the demo data."""

import pytest
from django.core import mail
from django.urls import reverse

from resellers import demo
from resellers.models import EmailDomainRule, Reseller, ResellerEvent, User

from .factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def test_admin_action_approves_a_held_reseller_and_tells_its_admin(
    staff_client, django_capture_on_commit_callbacks
):
    """Approving a held company activates it and e-mails its company admin."""
    held = ResellerFactory(status=Reseller.Status.HELD)
    admin = UserFactory(reseller=held, is_company_admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:resellers_reseller_changelist"),
            {"action": "approve_held", "_selected_action": [held.pk]},
        )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Reseller.Status.ACTIVE
    assert ResellerEvent.objects.filter(
        reseller=held, kind=ResellerEvent.Kind.APPROVED
    ).exists()
    assert [m.to for m in mail.outbox] == [[admin.email]]


def test_reseller_admin_searches_by_domain_and_org_number(staff_client):
    """Staff find a reseller by its e-mail domain or organisation number."""
    reseller = ResellerFactory(legal_name="Findme AB", domain="findme.se")
    ResellerFactory(legal_name="Other AB")
    url = reverse("admin:resellers_reseller_changelist")
    for query in ["findme.se", reseller.org_number]:
        html = staff_client.get(url, {"q": query}).content.decode()
        assert "Findme AB" in html and "Other AB" not in html
    page = staff_client.get(
        reverse("admin:resellers_reseller_change", args=[reseller.pk])
    )
    assert page.status_code == 200


def test_domain_rules_are_stored_normalised(staff_client):
    """A rule typed as " @LocalISP.se " is stored as localisp.se."""
    staff_client.post(
        reverse("admin:resellers_emaildomainrule_add"),
        {"domain": " @LocalISP.se ", "action": "block", "note": ""},
    )
    assert EmailDomainRule.objects.get().domain == "localisp.se"


def test_demo_seed_is_idempotent_and_has_a_verified_reseller():
    """The demo reseller has a verified admin and member; re-running adds nothing."""
    logins, created = demo.seed()
    assert created == 4  # the company and its three people
    assert demo.seed() == (logins, 0)
    emails = [email for _role, email in logins]
    assert {"admin@vendor.example", "anna@nordlicens.se", "erik@nordlicens.se"} <= set(
        emails
    )
    reseller = Reseller.objects.get(legal_name="Nordlicens AB")
    assert reseller.is_active
    anna = User.objects.get(email="anna@nordlicens.se")
    erik = User.objects.get(email="erik@nordlicens.se")
    assert anna.reseller == erik.reseller == reseller
    assert anna.is_company_admin and not erik.is_company_admin
    assert anna.emailaddress_set.get().verified
    assert Reseller.objects.count() == 1
    assert User.objects.count() == 3

"""/company/: the admin edits the company and its members; others only read."""

import pytest
from django.urls import reverse

from claims.models import Claim
from resellers.models import Reseller, ResellerEvent
from tests.claims.factories import ClaimFactory

from .factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def profile(**overrides) -> dict:
    data = {
        "legal_name": "Nordlicens AB",
        "street_address": "Sveavägen 44",
        "postal_code": "11134",
        "city": "Stockholm",
        "region": "",
        "preferred_currency": "EUR",
        "preferred_language": "sv",
    }
    data.update(overrides)
    return data


@pytest.fixture
def company():
    reseller = ResellerFactory(legal_name="Nordlicens AB")
    admin = UserFactory(reseller=reseller, is_company_admin=True, first_name="Anna")
    member = UserFactory(reseller=reseller, first_name="Erik")
    return reseller, admin, member


def test_admin_edits_the_company(client, company):
    """The company admin saves address, currency and language; names normalise."""
    reseller, admin, _member = company
    client.force_login(admin)
    response = client.post("/company/", profile(legal_name="Nordlicens Sverige AB"))
    assert response.status_code == 302
    reseller.refresh_from_db()
    assert reseller.legal_name == "Nordlicens Sverige AB"
    assert reseller.normalized_name == "nordlicenssverige"
    assert reseller.postal_code == "111 34"
    assert reseller.preferred_currency == "EUR"
    assert ResellerEvent.objects.filter(
        reseller=reseller, kind=ResellerEvent.Kind.PROFILE_CHANGED
    ).exists()


def test_unknown_currency_and_missing_address_parts_are_refused(client, company):
    """ISO 4217 only; the address parts the country needs are required."""
    reseller, admin, _member = company
    client.force_login(admin)
    response = client.post(
        "/company/", profile(preferred_currency="XYZ", city="", postal_code="12")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"preferred_currency", "city", "postal_code"} <= set(errors)
    reseller.refresh_from_db()
    assert reseller.preferred_currency == "SEK"


def test_legal_name_is_fixed_after_the_first_claim(client, company):
    """After a claim only a program manager changes the legal name."""
    reseller, admin, _member = company
    ClaimFactory(reseller=reseller, submitted_by=admin)
    assert Claim.objects.filter(reseller=reseller).exists()
    client.force_login(admin)
    response = client.post("/company/", profile(legal_name="Other Name AB"))
    assert response.status_code == 200
    assert "program team" in response.content.decode()
    reseller.refresh_from_db()
    assert reseller.legal_name == "Nordlicens AB"


def test_member_sees_the_company_read_only(client, company):
    """A member who is not the company admin sees no form and no remove buttons."""
    _reseller, admin, member = company
    client.force_login(member)
    response = client.get("/company/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"] is None
    assert admin.email in html
    assert "member_remove" not in html and "/remove/" not in html


def test_member_cannot_change_the_company(client, company):
    """A POST by a member is forbidden and changes nothing."""
    reseller, _admin, member = company
    client.force_login(member)
    response = client.post("/company/", profile(legal_name="Hijacked AB"))
    assert response.status_code == 403
    reseller.refresh_from_db()
    assert reseller.legal_name == "Nordlicens AB"


def test_member_cannot_remove_members(client, company):
    """Only the company admin removes members."""
    _reseller, admin, member = company
    client.force_login(member)
    response = client.post(reverse("resellers:member_remove", args=[admin.pk]))
    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.reseller_id is not None


def test_admin_removes_a_member_but_not_themselves(client, company):
    """The admin removes a colleague, who then loses access; never themselves."""
    reseller, admin, member = company
    client.force_login(admin)
    client.post(reverse("resellers:member_remove", args=[admin.pk]))
    admin.refresh_from_db()
    assert admin.reseller == reseller

    response = client.post(reverse("resellers:member_remove", args=[member.pk]))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.reseller is None
    assert ResellerEvent.objects.filter(kind=ResellerEvent.Kind.MEMBER_REMOVED).exists()
    client.force_login(member)
    assert client.get("/company/").url == reverse("resellers:company_pending")


def test_another_company_never_sees_this_company(client, company):
    """Another company's user sees only their own company; our members are a 404."""
    reseller, admin, member = company
    other = UserFactory(is_company_admin=True)
    client.force_login(other)
    html = client.get("/company/").content.decode()
    assert reseller.legal_name not in html
    assert admin.email not in html and member.email not in html
    response = client.post(reverse("resellers:member_remove", args=[member.pk]))
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.reseller == reseller


def test_company_page_runs_a_fixed_number_of_queries(
    client, company, django_assert_max_num_queries
):
    """Members are listed in one query whatever their number."""
    reseller, admin, _member = company
    client.force_login(admin)
    client.get("/company/")
    with django_assert_max_num_queries(12) as captured:
        client.get("/company/")
    baseline = len(captured)
    UserFactory.create_batch(5, reseller=reseller)
    with django_assert_max_num_queries(baseline):
        client.get("/company/")


def test_held_company_sees_the_pending_page(client):
    """A held company's users see that it is being checked, not offers."""
    user = UserFactory(reseller=ResellerFactory(status=Reseller.Status.HELD))
    client.force_login(user)
    assert client.get("/company/").url == reverse("resellers:company_pending")

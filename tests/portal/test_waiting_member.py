"""A member waiting for approval is told the company's claims and payouts are
hidden until a company admin approves them, and by whom; the company admins'
"What to do next" lists the member waiting (issue 28)."""

import pytest
from django.urls import reverse

from claims.models import Claim
from tests.claims.factories import ClaimFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(is_company_admin=True, first_name="Ada", last_name="Berg")


@pytest.fixture
def waiting(admin):
    return UserFactory(
        reseller=admin.reseller,
        member_approved_at=None,
        first_name="Mo",
        last_name="Ek",
    )


@pytest.fixture
def company_history(admin):
    PayoutFactory(claim__reseller=admin.reseller, claim__submitted_by=admin)
    ClaimFactory(
        reseller=admin.reseller, submitted_by=admin, status=Claim.Status.IN_REVIEW
    )


def read(client, name) -> str:
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", ["claims:list", "payouts:list", "dashboard"])
def test_a_waiting_member_reads_why_the_company_history_is_hidden(
    client, waiting, company_history, page
):
    """Not "your company has not filed a claim" nor "no payouts": the
    company's history waits for an admin's approval, and the page names them."""
    client.force_login(waiting)
    html = read(client, page)
    assert "has not filed a claim yet" not in html
    assert "No payouts yet" not in html
    assert "hidden until a company admin approves you" in html
    assert "Ada Berg" in html


def test_an_approved_member_reads_no_such_notice(client, admin, company_history):
    client.force_login(admin)
    for page in ("claims:list", "payouts:list", "dashboard"):
        assert "hidden until a company admin approves you" not in read(client, page)


def test_the_admins_next_steps_name_a_member_waiting_for_approval(
    client, admin, waiting
):
    client.force_login(admin)
    html = read(client, "dashboard")
    tasks = html.split("What to do next", 1)[1].split("Offers open for claims", 1)[0]
    assert "Mo Ek is waiting for your approval" in tasks
    assert (
        reverse("resellers:member_approve", kwargs={"member_id": waiting.pk}) in tasks
    )


def test_a_waiting_member_sees_no_approval_task(client, waiting):
    """Only a company admin can approve, so only they are asked to."""
    client.force_login(waiting)
    assert "is waiting for your approval" not in read(client, "dashboard")


def test_the_waiting_member_arrives_with_the_admins_names(
    waiting, admin, django_assert_num_queries
):
    """The user loaded for the request carries the company admins' names
    (issue 33): the same names, in the same order, as reading them, with no
    statement of their own; an approved user carries none."""
    from resellers.auth_backends import PortalAuthenticationBackend
    from resellers.selectors import company_admin_names, reseller_admin_names

    UserFactory(reseller=admin.reseller, is_company_admin=True, last_name="Abel")
    UserFactory(reseller=admin.reseller, is_company_admin=True, is_active=False)
    UserFactory(is_company_admin=True, last_name="Another company")
    expected = reseller_admin_names(reseller=admin.reseller)
    assert len(expected) == 2
    backend = PortalAuthenticationBackend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(waiting.pk)
        assert company_admin_names(loaded) == expected
    assert backend.get_user(admin.pk).company_admins_joined is None

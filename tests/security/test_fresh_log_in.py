"""No password again straight after a log-in, and no second TOTP code straight
after activating the authenticator (issue 28)."""

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.urls import reverse

from cashback.security import mfa_enrolment_token
from tests.payouts.conftest import FACTORY_PASSWORD, approve
from tests.payouts.factories import approved_claim
from tests.resellers.factories import StaffUserFactory
from tests.security.test_security_log import current_code
from tests.security.test_staff_access import without_second_factor

pytestmark = pytest.mark.django_db


def test_the_bank_details_page_opens_straight_after_the_log_in(client):
    payout = approve(approved_claim())
    admin = payout.claim.submitted_by
    response = client.post(
        reverse("account_login"), {"login": admin.email, "password": FACTORY_PASSWORD}
    )
    assert response.status_code == 302
    url = reverse("payouts:bank_details", kwargs={"payout_id": payout.pk})
    assert client.get(url).status_code == 200


def test_a_log_in_long_ago_still_asks_for_the_password(client):
    payout = approve(approved_claim())
    admin = payout.claim.submitted_by
    client.force_login(admin)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - 3600, "email": admin.email}
    ]
    session["account_authentication_methods_user"] = str(admin.pk)
    session.save()
    url = reverse("payouts:bank_details", kwargs={"payout_id": payout.pk})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db(transaction=True)
def test_staff_reach_admin_right_after_activating_their_authenticator(client):
    """Committed as in production: allauth announces the new authenticator
    after commit, while the request's session is still to be saved."""
    staff = StaffUserFactory(with_totp=False)
    without_second_factor(client, staff)
    client.get(reverse("staff_mfa_enrol", args=[mfa_enrolment_token(staff)]))
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200  # no password again: the log-in is fresh
    secret = page.context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200, response.get("Location")

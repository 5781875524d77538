"""Staff need two-factor authentication for admin; sessions end when they should."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_login_goes_through_allauth(client):
    """The admin's own log-in form is replaced by allauth's (rate limits, MFA)."""
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_without_totp_are_told_to_ask_for_an_enrolment_link(client):
    """Without an authenticator admin is refused; setting one up needs the
    administrator's link (tests/security/test_staff_access.py)."""
    staff = StaffUserFactory(is_superuser=True, with_totp=False)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "enrolment link" in response.content.decode()


def test_staff_with_totp_reaches_admin(client):
    staff = StaffUserFactory(is_superuser=True)
    assert Authenticator.objects.filter(user=staff).exists()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_a_reseller_user_cannot_reach_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_log_in_issues_a_new_session_id(client):
    user = UserFactory()
    client.get("/")
    client.session["probe"] = 1
    before = client.session.session_key
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": "correct-horse-battery"},
    )
    assert "_auth_user_id" in client.session
    assert client.session.session_key != before


def test_log_out_ends_the_session(client):
    client.force_login(UserFactory())
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_deactivating_a_user_ends_their_sessions(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_sessions_expire_when_idle(client, settings, time_machine):
    """Every request renews the session; an idle one ends after the timeout."""
    time_machine.move_to("2026-11-26 09:00:00+00:00", tick=False)
    client.force_login(UserFactory())
    idle = settings.SESSION_COOKIE_AGE
    time_machine.shift(idle - 60)
    assert client.get(reverse("dashboard")).status_code == 200  # renewed here
    time_machine.shift(idle - 60)
    assert client.get(reverse("dashboard")).status_code == 200
    time_machine.shift(idle + 60)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))

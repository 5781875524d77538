"""The base page and the program page, in both languages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_program_page_in_swedish_with_swedish_browser(client):
    """A browser asking for Swedish gets the program page in Swedish."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sv")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sv">' in html
    assert "Kom igång med Cash Back-programmet" in html
    assert "Vanliga frågor och svar" in html
    assert "Registrera dig nu" in html


def test_program_page_in_english_with_english_browser(client):
    """A browser asking for English gets the program page in English."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Get started with the Cash Back program" in html
    assert "Frequently asked questions" in html


def test_unknown_browser_language_falls_back_to_english(client):
    """A browser language the portal does not speak gets English."""
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en">' in html


def test_every_page_shows_the_support_address_and_a_skip_link(client, settings):
    """R17: the support address is in the footer; a skip link leads to main."""
    settings.SUPPORT_EMAIL = "help@vendor.example"
    html = client.get("/").content.decode()
    assert 'href="mailto:help@vendor.example"' in html
    assert 'href="#main"' in html
    assert 'id="main"' in html


def test_bootstrap_is_served_from_our_own_static_files(client):
    """No CDN: the stylesheet and script come from /static/."""
    html = client.get("/").content.decode()
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in html
    assert 'src="/static/vendor/bootstrap/js/bootstrap.bundle.min.js"' in html
    assert "cdn" not in html.lower()


def test_pages_have_a_content_security_policy_without_inline_script(client):
    """Scripts only from our origin; the policy forbids inline script."""
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_visitor_sees_sign_up_and_log_in(client):
    """R4: visitors are offered sign-up and log-in, not offers."""
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("account_signup") in html
    assert reverse("account_login") in html


def test_dashboard_sends_visitors_to_log_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_dashboard_greets_a_signed_in_user(client):
    from tests.resellers.factories import UserFactory

    user = UserFactory(first_name="Kim", last_name="")
    client.force_login(user)
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Welcome, Kim" in html
    assert "Signed in as Kim" in html

"""Sign-up with "Sign in with Microsoft" in a real browser, in Swedish (issue 19).

The browser goes from the portal to a real OpenID Connect provider process
(oidc-provider-mock), signs in there as a work account whose claims the test
chose, and comes back to the portal's company form.
"""

import uuid

import pytest

from resellers.models import User
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import click
from tests.offers.factories import OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(browser, live_server):
    """A Swedish browser that enforces the portal's Content-Security-Policy.

    The shared fixture bypasses it for axe-core; here it must hold, since the
    browser checks the redirect to the provider against `form-action`.
    """
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_reseller_signs_up_with_microsoft_in_swedish(page, microsoft_provider):
    """Button, the provider's sign-in, the Swedish company form, then the offers."""
    offer = OfferFactory(title_en="Cloud Open Winter", title_sv="Cloud Open-vinter")
    sub = str(uuid.uuid4())
    microsoft_provider.user_set(
        sub,
        {
            "email": "anna@nordlicens.se",
            "given_name": "Anna",
            "family_name": "Berg",
            "tid": "5f1c2f0e-8d33-4a57-9c35-0c6f3c7b2a11",
            "oid": "0b6a7d3e-1f4e-4d2a-9e0c-5a8b7c6d5e4f",
            "xms_edov": True,
        },
    )

    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "sv"
    screenshot(page, "microsoft-01-signup-sv")
    click(page, page.get_by_role("button", name="Logga in med Microsoft"))
    assert page.url.startswith(microsoft_provider.url)

    page.fill("#subject-input", sub)  # the provider's own sign-in form
    click(page, page.get_by_role("button", name="Authorize", exact=True))
    assert page.url.endswith("/accounts/3rdparty/signup/"), page.url
    assert page.locator("#id_email").input_value() == "anna@nordlicens.se"
    assert page.locator("#id_first_name").input_value() == "Anna"
    assert page.get_by_text("Du loggade in med Microsoft").is_visible()

    page.fill("#id_legal_name", "Nordlicens AB")
    page.select_option("#id_country", "SE")
    page.fill("#id_org_number", "559123-4561")
    page.fill("#id_vat_number", "SE559123456101")
    screenshot(page, "microsoft-02-company-form-sv")
    click(page, page.locator("main form button[type=submit]").last)

    user = User.objects.get(email="anna@nordlicens.se")
    assert user.reseller.legal_name == "Nordlicens AB"
    assert user.socialaccount_set.get().uid.endswith(
        ":0b6a7d3e-1f4e-4d2a-9e0c-5a8b7c6d5e4f"
    )
    page.goto("/offers/")
    assert page.get_by_role("link", name=offer.title_sv).first.is_visible()
    screenshot(page, "microsoft-03-offers-sv")

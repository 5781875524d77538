"""The reseller roles in a real browser, on the demo, in Swedish at 360 px: the
company admin (anna@nordlicens.se) and a colleague waiting for approval walk
their pages with no 403, no 500, no English phrase and nothing scrolling
sideways; the claims list, its rows stacked, passes axe (issue 28)."""

import re

import pytest

from claims.models import Claim
from claims.services import claim_approve, claim_file
from resellers.demo import DEMO_PASSWORD
from resellers.models import User
from tests.claims.factories import OpenAgreementFactory
from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.helpers import log_in
from tests.e2e.test_admin_journeys import english_phrases
from tests.e2e.test_pages import ENGLISH_MONTHS
from tests.offers.factories import OfferFactory
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 360


def demo_in_swedish(page, live_server) -> None:
    """The demo in the live server's database; the browser asks for Swedish."""
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    page.context.add_cookies(
        [{"name": "cashback_language", "value": "sv", "url": live_server.url}]
    )
    page.set_viewport_size({"width": WIDTH, "height": 800})


def sentences() -> set[str]:
    """The catalogue's English phrases (a message context stripped leaves a
    single word such as "May": months are checked as words instead)."""
    return {phrase for phrase in english_phrases() if " " in phrase}


def problems_on(page, url: str, response, english) -> list[str]:
    """A 403 or 500, an English phrase in the main content, or a page wider
    than the phone."""
    found = []
    if response.status >= 400:
        found.append(f"{url}: {response.status}")
    text = page.locator("main").inner_text()
    found += [f"{url}: {p!r}" for p in sorted(english) if p in text]
    found += [f"{url}: {m!r}" for m in ENGLISH_MONTHS.findall(text)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        found.append(f"{url}: {width} px wide")
        screenshot(page, f"reseller-journey-wide{url.replace('/', '_')}")
    return found


def walk(page, urls, english) -> list[str]:
    problems = []
    for url in urls:
        response = page.goto(url)
        assert page.locator("html").get_attribute("lang") == "sv", url
        problems += problems_on(page, url, response, english)
    return problems


def first_link(page, pattern: str) -> str:
    """The first link on the page whose address matches `pattern` (a regular
    expression), as a person picks it from the list they are on."""
    hrefs = page.locator("main a[href^='/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    matching = [href for href in hrefs if re.fullmatch(pattern, href)]
    assert matching, (pattern, page.url, hrefs)
    return matching[0]


def test_the_company_admin_walks_the_demo_in_swedish_at_360_px(page, live_server):
    """Anna, the demo company's admin: dashboard, offers, an offer and its claim
    form (not sent), the claims and one claim, payouts, statements, the company
    page and the bank-details form."""
    demo_in_swedish(page, live_server)
    english = sentences()
    log_in(page, "anna@nordlicens.se", password=DEMO_PASSWORD, next_url="/dashboard/")
    assert page.url.endswith("/dashboard/"), page.url

    problems = walk(page, ["/dashboard/", "/offers/"], english)
    offer_url = first_link(page, r"/offers/[\w-]+/")
    problems += walk(page, [offer_url, f"{offer_url.rstrip('/')}/claim/"], english)
    assert page.locator("form input[name=accepted_terms]").count() == 1
    problems += walk(page, ["/claims/"], english)
    claim_url = first_link(page, r"/claims/[\w-]+/")
    problems += walk(page, [claim_url, "/payouts/"], english)
    bank_url = first_link(page, r"/payouts/\d+/bank-details/")
    problems += walk(page, ["/statements/", "/company/", bank_url], english)
    assert page.locator("main form").count() >= 1
    screenshot(page, "reseller-journey-admin-360")
    assert not problems, problems


def waiting_member_with_a_payout():
    """Eva joined Nordlicens by its domain and waits for approval; she filed a
    claim of her own, approved, whose payout waits for bank details."""
    nordlicens = User.objects.get(email="anna@nordlicens.se").reseller
    eva = UserFactory(
        reseller=nordlicens,
        email="eva@nordlicens.se",
        first_name="Eva",
        preferred_language="sv",
        member_approved_at=None,
    )
    offer = OfferFactory(title_en="Cloud Open Autumn", title_sv="Cloud Open-höst")
    sale = OpenAgreementFactory(
        reseller_org_number=nordlicens.org_number,
        reseller_name=nordlicens.legal_name,
    )
    claim = claim_file(
        reseller=nordlicens,
        user=eva,
        offer=offer,
        agreement_numbers=[sale.agreement_number],
        accepted_terms=True,
        terms_version=offer.terms.latest().version,
        ip="127.0.0.1",
    )
    reviewer = StaffUserFactory(is_superuser=True)
    claim_approve(claim=Claim.objects.get(pk=claim.pk), actor=reviewer)
    return eva


HIDDEN = "dolda tills en företagsadministratör godkänner dig"


def test_a_member_waiting_for_approval_walks_the_demo_in_swedish_at_360_px(
    page, live_server
):
    """Eva sees her dashboard, her claims and her payouts, each saying what is
    hidden until a company admin approves her; every link those pages offer
    her opens (none ends on the 403 page); the bank-details page, typed in,
    refuses her with its explanation, not a 500."""
    demo_in_swedish(page, live_server)
    english = sentences()
    eva = waiting_member_with_a_payout()
    log_in(page, eva.email, next_url="/dashboard/")

    problems = []
    offered = set()
    for url in ["/dashboard/", "/claims/", "/payouts/"]:
        problems += walk(page, [url], english)
        assert HIDDEN in page.locator("main").inner_text(), url
        for href in page.locator("main a[href^='/']").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        ):
            offered.add(href.split("#")[0])
        screenshot(page, f"reseller-journey-waiting{url.replace('/', '_')}-360")
    offered -= {"/dashboard/", "/claims/", "/payouts/"}
    problems += walk(page, sorted(offered), english)
    assert not problems, problems

    payout = Claim.objects.get(submitted_by=eva).payout
    response = page.goto(f"/payouts/{payout.pk}/bank-details/")
    assert response.status == 403
    text = page.locator("main").inner_text()
    assert "Anna Berg" in text, text  # who can approve her


def test_the_stacked_claims_list_passes_axe_at_360_px(page, live_server):
    """axe-core: no serious or critical finding on the demo company's claims
    list at 360 px, where each row stacks."""
    demo_in_swedish(page, live_server)
    log_in(page, "anna@nordlicens.se", password=DEMO_PASSWORD, next_url="/claims/")
    page.wait_for_url("**/claims/")
    assert page.locator(".claim-status").count() >= 1
    assert serious_violations(page) == []

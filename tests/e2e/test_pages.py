"""Every reseller page in the browser: accessible (axe), in Swedish throughout,
money and dates in the reader's format, usable at 360 px and by keyboard."""

import gettext
import re
from dataclasses import dataclass
from functools import cache

import pytest
from allauth.core import context as allauth_context
from django.core import mail
from django.test import RequestFactory, override_settings
from django.utils import translation

from claims.models import Claim
from claims.services import claim_approve, claim_file, claim_request_invoice
from payouts.models import Payout
from payouts.services import payouts_send_reminders
from resellers.models import User
from tests.claims.factories import OpenAgreementFactory
from tests.conftest import ROOT
from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.helpers import click, log_in, press_enter
from tests.offers.factories import OfferFactory
from tests.resellers.account_emails import EMAILS, account_email_send
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = ["/", "/accounts/login/", "/accounts/signup/"]


@dataclass
class Portal:
    """A reseller with something on every page, and the pages to visit."""

    user: object
    pages: list[str]
    # A colleague who joined by domain and waits for a company admin's approval.
    waiting: object
    waiting_pages: list[str]


def portal(language: str) -> Portal:
    """Offers, a claim waiting for an invoice, a payout waiting for bank details."""
    reseller = ResellerFactory(legal_name="Nordlicens AB", org_number="5567037485")
    user = UserFactory(
        reseller=reseller,
        email="kim@nordlicens.se",
        preferred_language=language,
        is_company_admin=True,
    )
    reviewer = StaffUserFactory(is_superuser=True)
    waiting, approved, unclaimed = (
        OfferFactory(
            title_en=f"Cloud Open {name}",
            title_sv=f"Cloud Open-{name_sv}",
            reward_value=12345,
        )
        for name, name_sv in (
            ("Winter", "vinter"),
            ("Spring", "vår"),
            ("Summer", "sommar"),
        )
    )

    def filed(offer):
        sale = OpenAgreementFactory(
            reseller_org_number=reseller.org_number,
            reseller_name=reseller.legal_name,
            revenue=12345,
        )
        return claim_file(
            reseller=reseller,
            user=user,
            offer=offer,
            agreement_numbers=[sale.agreement_number],
            accepted_terms=True,
            terms_version=offer.terms.latest().version,
            ip="127.0.0.1",
        )

    first = filed(waiting)
    claim_request_invoice(
        claim=Claim.objects.get(pk=first.pk),
        actor=reviewer,
        message="Skicka fakturan.",
    )
    second = filed(approved)
    claim_approve(claim=Claim.objects.get(pk=second.pk), actor=reviewer)
    payouts_send_reminders()
    payout = Payout.objects.get(claim=second)
    waiting_member = UserFactory(
        reseller=reseller,
        email="eva@nordlicens.se",
        preferred_language=language,
        member_approved_at=None,
    )
    return Portal(
        user=user,
        waiting=waiting_member,
        waiting_pages=[
            "/dashboard/",
            "/claims/",
            "/payouts/",
            "/company/",  # refused: the page says who may approve
            f"/payouts/{payout.pk}/bank-details/",  # refused the same way
        ],
        pages=[
            "/dashboard/",
            "/offers/",
            f"/offers/{unclaimed.slug}/",
            f"/offers/{unclaimed.slug}/claim/",
            "/claims/",
            first.get_absolute_url(),
            second.get_absolute_url(),
            "/payouts/",
            f"/payouts/{payout.pk}/bank-details/",
            "/statements/",
            "/company/",
            f"/company/members/{waiting_member.pk}/approve/",
            f"/company/members/{waiting_member.pk}/remove/",
        ],
    )


def visit(page, path: str) -> None:
    page.goto(path)
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", "correct-horse-battery")
        press_enter(page, "input[name=password]")
    assert page.url.split("?")[0].endswith(path), (path, page.url)


def walk(page, language: str):
    """Yield each path visited: the public pages, every reseller page, then
    the pages a colleague waiting for approval sees (marked #waiting)."""
    if language == "en":
        page.goto("/")
        click(page, page.get_by_role("button", name="English"))
    for path in PUBLIC_PAGES:
        visit(page, path)
        yield path
    data = portal(language)
    log_in(page, data.user.email)
    for path in data.pages:
        visit(page, path)
        yield path
    page.context.clear_cookies()
    log_in(page, data.waiting.email)
    for path in data.waiting_pages:
        visit(page, path)
        yield f"{path}#waiting"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_reseller_page_passes_axe(page, language):
    """No serious or critical axe-core violation on any page, in both languages;
    the page's language is declared for screen readers."""
    problems = {}
    for path in walk(page, language):
        assert page.locator("html").get_attribute("lang") == language, path
        found = serious_violations(page)
        if found:
            problems[path] = found
        screenshot(page, f"page-{language}{path.replace('/', '_')}")
    assert problems == {}


def test_axe_reports_what_it_should(page):
    """The check itself: an unlabelled field and a nameless image are caught."""
    page.set_content(
        '<html lang="sv"><title>t</title><main><img src="x.png">'
        '<input type="text"></main></html>'
    )
    found = " ".join(serious_violations(page))
    assert "image-alt" in found and "label" in found


# Untranslated text ------------------------------------------------------------------

# Words that, two to a line, mean a sentence is English (Swedish shares none).
ENGLISH_WORDS = {
    "the", "your", "you", "and", "with", "this", "is", "are", "of", "for",
    "to", "has", "have", "will", "not", "be", "an", "when", "what", "by",
}  # fmt: skip
# Proper nouns and demo data that stay as they are in Swedish.
ALLOWED = ["Cloud Open", "Cloud Suite", "Open License", "Commercial", "Cash Back"]


@cache
def english_msgids() -> list[str]:
    """The catalogue's English sentences whose Swedish translation differs."""
    with open(ROOT / "locale/sv/LC_MESSAGES/django.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    phrases = []
    for msgid, msgstr in catalog.items():
        if isinstance(msgid, tuple):
            msgid = msgid[0]
        if not msgid or msgid == msgstr:
            continue
        # The longest literal between placeholders, if it is a phrase.
        parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}", msgid)
        longest = max(parts, key=len).strip()
        if len(longest.split()) >= 3:
            phrases.append(longest)
    return phrases


def english_in(text: str) -> list[str]:
    """Lines of `text` that are still English."""
    for name in ALLOWED:
        text = text.replace(name, "")
    found = [phrase for phrase in english_msgids() if phrase in text]
    for line in text.splitlines():
        words = re.findall(r"[A-Za-z]+", line.lower())
        if sum(word in ENGLISH_WORDS for word in words) >= 2:
            found.append(line.strip())
    return found


def test_the_checker_sees_english():
    """The untranslated-text check itself: it flags English, not Swedish."""
    assert english_in("Skicka in anspråket\nSubmit the claim and your invoice")
    assert english_in("Välkommen. Register your company") != []
    assert english_in("Skicka in anspråket för Cloud Open-vinter") == []


# Swedish money: a space between thousands, a decimal comma, "kr" after it.
SWEDISH_MONEY = re.compile(r"\d{1,3}(?:[\s\u00a0\u202f]\d{3})*,\d{2}\s?kr\b")
# English order or marks, a code after the number, or thousands not grouped
# ("1234,50 kr").
WRONG_MONEY = re.compile(
    r"SEK\s?\d|\d,\d{3}|\d\.\d{2}\b|\d\s?SEK\b|\d{4,}(?:,\d{2})?\s?kr\b"
)
ENGLISH_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b"
)


def send_every_account_email(page, email: str) -> None:
    """The account e-mails in Swedish: a password reset asked for on the
    Swedish page, then every other e-mail allauth can send, each as its own
    flow sends it (tests/resellers/account_emails.py)."""
    page.goto("/accounts/password/reset/")
    page.fill("input[name=email]", email)
    press_enter(page, "input[name=email]")
    assert any(m.subject.startswith("Välj ett nytt lösenord") for m in mail.outbox)
    user = User.objects.get(email=email)
    before = len(mail.outbox)
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.session = {}
    with (
        override_settings(ACCOUNT_EMAIL_NOTIFICATIONS=True),
        allauth_context.request_context(request),
        translation.override("sv"),
    ):
        for prefix in EMAILS:
            account_email_send(prefix, user)
    # The reset key may repeat the browser's (one second, one token): one mail.
    assert len(mail.outbox) - before >= len(EMAILS) - 1


def test_every_page_and_email_is_swedish_with_swedish_numbers(page):
    """In Swedish nothing English is left on the pages or in the e-mails (the
    account e-mails too), and money and dates are written the Swedish way."""
    english, formats, amounts = {}, {}, []
    for path in walk(page, "sv"):
        text = page.locator("body").inner_text()
        if found := english_in(text):
            english[path] = found
        wrong = WRONG_MONEY.findall(text) + ENGLISH_MONTHS.findall(text)
        if wrong:
            formats[path] = wrong
        if path == "/payouts/":
            assert SWEDISH_MONEY.search(text), text
    send_every_account_email(page, email="kim@nordlicens.se")
    for message in mail.outbox:
        bodies = [message.subject, message.body]
        bodies += [content for content, _ in getattr(message, "alternatives", [])]
        for body in bodies:
            plain = re.sub(r"<[^>]+>", "\n", body)
            if found := english_in(plain):
                english[f"mail: {message.subject}"] = found
            if path_of_amount := SWEDISH_MONEY.search(plain):
                amounts.append(path_of_amount[0])
            if wrong := WRONG_MONEY.findall(plain) + ENGLISH_MONTHS.findall(plain):
                formats[f"mail: {message.subject}"] = wrong
    assert english == {}
    assert formats == {}
    assert "1\u00a0523\u00a0990,25\u00a0kr" in amounts, amounts  # the payout notice


# Small screens and the keyboard -------------------------------------------------------


def test_every_reseller_page_fits_360_pixels(page):
    """Nothing scrolls sideways on a 360 px wide phone."""
    page.set_viewport_size({"width": 360, "height": 740})
    overflowing = {}
    for path in walk(page, "sv"):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            overflowing[path] = width
            screenshot(page, f"overflow-360{path.replace('/', '_')}")
    assert overflowing == {}


def test_a_claim_is_filed_with_the_keyboard_alone(page):
    """Tab reaches the agreement numbers, the terms box and the button; Space
    ticks the box and Enter files the claim; focus is visible on the way."""
    data = portal("sv")
    log_in(page, data.user.email)
    claim_form = next(p for p in data.pages if p.endswith("/claim/"))
    page.goto(claim_form)
    slug = claim_form.split("/")[2]
    sale = OpenAgreementFactory(reseller_org_number="5567037485")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_agreement_numbers":
            break
    else:
        pytest.fail("Tab never reached the agreement numbers")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).boxShadow + "
        "getComputedStyle(document.activeElement).outlineStyle"
    )
    assert outline not in {"nonenone", "none"}, outline
    page.keyboard.type(sale.agreement_number)
    while page.evaluate("document.activeElement.id") != "id_accepted_terms":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/claims/CB-" in page.url, page.url
    assert Claim.objects.filter(offer__slug=slug).exists()
    assert mail.outbox  # the receipt

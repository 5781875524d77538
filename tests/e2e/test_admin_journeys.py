"""Staff in a real browser, through their own log-in (password and TOTP): the
buttons on an admin claim page (issue 28)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from claims.models import Claim, ClaimEvent
from tests.claims.factories import ClaimFactory
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import click, staff_log_in, staff_with_totp

pytestmark = pytest.mark.django_db(transaction=True)


def reviewer_with_totp(email: str = "reviewer@vendor.example"):
    """A reviewer as the Reviewers group makes one: staff, may view and review
    claims, nothing else."""
    reviewer = staff_with_totp(email=email, is_superuser=False)
    reviewer.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="claims",
            codename__in=["view_claim", "review_claim"],
        )
    )
    return reviewer


def claim_in_review() -> Claim:
    return ClaimFactory(
        status=Claim.Status.IN_REVIEW,
        reward_amount=Decimal("1000.00"),
        reward_currency="SEK",
    )


def open_claim(page, claim: Claim) -> None:
    page.goto(f"/admin/claims/claim/{claim.pk}/change/")
    assert page.get_by_text(claim.reference).first.is_visible()


def test_a_reviewer_presses_each_button_on_a_claim_page(page):
    """Approve, Reject with a reason, Request an invoice copy and Re-run
    validation, pressed on the claim's own page, each do what they say (they
    sat in a form nested inside the change form and ended on "Not allowed")."""
    reviewer = reviewer_with_totp()
    staff_log_in(page, reviewer)
    to_approve, to_reject, to_ask, to_validate = (claim_in_review() for _ in "1234")

    open_claim(page, to_approve)
    click(page, page.get_by_role("button", name="Godkänn", exact=True))
    assert page.url.endswith(f"/admin/claims/claim/{to_approve.pk}/change/")
    to_approve.refresh_from_db()
    assert to_approve.status == Claim.Status.APPROVED
    assert to_approve.reference in page.locator("ul.messagelist").inner_text()

    open_claim(page, to_reject)
    click(page, page.get_by_role("button", name="Avslå med skäl…"))
    page.select_option("select[name=reason]", "not_in_ledger")
    page.fill("textarea[name=details]", "Avtalet finns inte i registret.")
    screenshot(page, "admin-claim-reject-form")
    click(page, "#content form [type=submit]")
    to_reject.refresh_from_db()
    assert to_reject.status == Claim.Status.REJECTED
    assert to_reject.decision_reason_code == "not_in_ledger"

    open_claim(page, to_ask)
    click(page, page.get_by_role("button", name="Begär en fakturakopia…"))
    click(page, "#content form [type=submit]")
    to_ask.refresh_from_db()
    assert to_ask.status == Claim.Status.INFO_REQUESTED

    open_claim(page, to_validate)
    before = ClaimEvent.objects.filter(claim=to_validate).count()
    click(page, page.get_by_role("button", name="Kör kontrollen igen"))
    to_validate.refresh_from_db()
    assert to_validate.validated_at is not None
    assert ClaimEvent.objects.filter(claim=to_validate).count() >= before
    assert "Inte tillåtet" not in page.content()
    assert "Not allowed" not in page.content()


ADMIN_PAGES = [
    "/admin/",
    "/admin/claims/claim/",
    "/admin/claims/claim/?status=submitted",
    "/admin/payouts/payout/",
    "/admin/payouts/bankaccount/",
    "/admin/payouts/paymentbatch/",
    "/admin/payouts/batchreconciliation/",
    "/admin/payouts/inboundbankfile/",
    "/admin/resellers/reseller/",
    "/admin/offers/offer/",
    "/admin/django_celery_beat/periodictask/",
]


def admin_pages_with_rows() -> list[str]:
    """The list pages and one page of each kind staff open from them."""
    from payouts.models import BankAccount, PaymentBatch, Payout

    claim = Claim.objects.exclude(validation_report={}).order_by("pk").first()
    pages = [*ADMIN_PAGES, f"/admin/claims/claim/{claim.pk}/change/"]
    for model, path in (
        (Payout, "payouts/payout"),
        (BankAccount, "payouts/bankaccount"),
        (PaymentBatch, "payouts/paymentbatch"),
    ):
        row = model.objects.order_by("pk").first()
        if row is not None:
            pages.append(f"/admin/{path}/{row.pk}/change/")
    return pages


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_admin_pages_staff_use_have_no_serious_axe_finding(
    page, browser_context, live_server, language
):
    """axe-core: no serious or critical violation on any admin page staff use,
    in either language."""
    from django.core.management import call_command

    from tests.admin.test_jobs import ensure_schedules
    from tests.e2e.conftest import serious_violations

    call_command("seed_demo", verbosity=0)
    ensure_schedules()
    staff = staff_with_totp(email="superuser@vendor.example")
    browser_context.add_cookies(
        [{"name": "cashback_language", "value": language, "url": live_server.url}]
    )
    staff_log_in(page, staff)
    found = {}
    for url in admin_pages_with_rows():
        response = page.goto(url)
        assert response.status == 200, url
        violations = serious_violations(page)
        if violations:
            found[url] = violations
    assert not found, found


def english_phrases() -> set[str]:
    """The catalogue's English msgids that read differently in Swedish: on a
    Swedish page, none of them may show."""
    from django.utils import translation
    from django.utils.translation import trans_real

    with translation.override("sv"):
        catalog = trans_real.translation("sv")._catalog
    phrases = set()
    for key, text in catalog.items():
        english = key[0] if isinstance(key, tuple) else key
        if (
            isinstance(english, str)
            and text
            and english != text
            and " " in english
            and len(english) >= 12
            and "%" not in english
            and "{" not in english
        ):
            phrases.add(english.split("\x04")[-1])
    return phrases


def walk(page, urls, english) -> list[str]:
    """Open each page; report a 403, a 500 or an English phrase."""
    problems = []
    for url in urls:
        response = page.goto(url)
        if response.status >= 400:
            problems.append(f"{url}: {response.status}")
            continue
        problems += [f"{url}: {p!r}" for p in shown(page, english)]
    return problems


def shown(page, english) -> list[str]:
    """English phrases on the page, the validation report's checks included
    (stored as codes, worded in the reader's language: claims/checks.py)."""
    text = page.locator("#content").inner_text()
    return sorted(phrase for phrase in english if phrase in text)


def grant(user, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_each_staff_role_walks_the_demo_in_swedish_at_360_px(
    page, staff_page, live_server
):
    """The reviewer decides a claim; one operator builds a batch, another
    releases it: in Swedish, 360 px wide, no 403, no 500, no English phrase."""
    from django.core.management import call_command

    from payouts.models import PaymentBatch, Payout

    call_command("seed_demo", verbosity=0)
    english = english_phrases()
    reviewer = reviewer_with_totp(email="rut@vendor.example")
    builder = staff_with_totp(email="olle@vendor.example", is_superuser=False)
    releaser = staff_with_totp(email="oda@vendor.example", is_superuser=False)
    operator_rights = (
        "view_payout",
        "change_payout",
        "cancel_payout",
        "add_paymentbatch",
        "change_paymentbatch",
        "view_paymentbatch",
        "change_draft_batch",
        "view_bankaccount",
    )
    grant(builder, *operator_rights)
    grant(releaser, *operator_rights)
    for browser_page in (page, staff_page):
        browser_page.set_viewport_size({"width": 360, "height": 800})

    # The reviewer: the queue, a claim, Approve.
    staff_log_in(page, reviewer)
    claim = Claim.objects.filter(status=Claim.Status.SUBMITTED).order_by("pk").first()
    problems = walk(
        page,
        ["/admin/", "/admin/claims/claim/", f"/admin/claims/claim/{claim.pk}/change/"],
        english,
    )
    click(page, page.get_by_role("button", name="Godkänn", exact=True))
    problems += shown(page, english)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    screenshot(page, "admin-journey-reviewer-360")

    # The first operator builds a batch of a scheduled payout.
    staff_log_in(staff_page, builder)
    payout = Payout.objects.filter(status=Payout.Status.SCHEDULED, batch=None).first()
    problems += walk(staff_page, ["/admin/", "/admin/payouts/payout/"], english)
    staff_page.check(f"input[name=_selected_action][value='{payout.pk}']")
    staff_page.select_option("select[name=action]", "create_batch")
    click(staff_page, "button[name=index]")
    problems += shown(staff_page, english)
    payout.refresh_from_db()
    assert payout.batch is not None, staff_page.locator("#content").inner_text()
    batch = payout.batch
    screenshot(staff_page, "admin-journey-builder-360")

    # The second operator opens it, sees its payouts, releases it.
    page.context.clear_cookies()
    staff_log_in(page, releaser)
    batch_url = f"/admin/payouts/paymentbatch/{batch.pk}/change/"
    problems += walk(page, ["/admin/payouts/paymentbatch/", batch_url], english)
    assert payout.claim.reference in page.locator("#content").inner_text()
    click(page, page.get_by_role("link", name="Frisläpp…"))
    problems += shown(page, english)
    click(page, "#content form [type=submit]")
    problems += shown(page, english)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
    assert f"Frisläppte omgången {batch.message_id}" in page.content()
    screenshot(page, "admin-journey-releaser-360")
    assert not problems, problems

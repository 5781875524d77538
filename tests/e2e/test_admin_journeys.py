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

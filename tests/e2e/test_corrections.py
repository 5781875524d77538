"""A reviewer corrects a decision in admin (issue 17): approves, reverses the
approval with a reason, adjusts the reward and approves again; the reseller
reads each step on the claim's timeline in Swedish."""

from decimal import Decimal

import pytest

from claims.models import Claim
from payouts.models import Payout
from tests.claims.factories import ClaimFactory
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import (
    admin_action,
    click,
    log_in,
    staff_log_in,
    staff_with_totp,
)
from tests.resellers.factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_approves_reverses_adjusts_and_approves_again(page, staff_page):
    reseller = ResellerFactory(legal_name="Nordlicens AB", org_number="5567037485")
    user = UserFactory(reseller=reseller, preferred_language="sv")
    claim = ClaimFactory(
        reseller=reseller,
        submitted_by=user,
        status=Claim.Status.IN_REVIEW,
        reward_amount=Decimal("1000.00"),
        reward_currency="SEK",
    )
    reviewer = staff_with_totp(email="reviewer@vendor.example")
    staff_log_in(staff_page, reviewer)

    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "approve")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED

    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "reverse_approval")
    staff_page.select_option("select[name=reason]", "decided_in_error")
    staff_page.fill(
        "textarea[name=details]", "Försäljningen hör till ett annat erbjudande."
    )
    screenshot(staff_page, "corrections-01-reverse")
    click(staff_page, "#content form [type=submit]")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert Payout.objects.get(claim=claim).status == Payout.Status.CANCELLED

    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "adjust_reward")
    staff_page.fill("input[name=amount]", "750")
    staff_page.select_option("select[name=reason]", "calculation_error")
    staff_page.fill("textarea[name=details]", "Licenserna räknades två gånger.")
    screenshot(staff_page, "corrections-02-adjust")
    click(staff_page, "#content form [type=submit]")
    claim.refresh_from_db()
    assert claim.adjusted_reward_amount == Decimal("750.00")

    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "approve")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    payout = Payout.objects.get(claim=claim)
    assert (payout.status, payout.amount) == (
        Payout.Status.AWAITING_BANK_DETAILS,
        Decimal("750.00"),
    )

    log_in(page, user.email, next_url=claim.get_absolute_url())
    assert "750,00\xa0kr" in page.locator("dl").first.inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    screenshot(page, "corrections-03-timeline-sv")
    steps = [
        "Anspråket godkändes.",
        "Godkännandet återkallades.",
        "Beslutet fattades av misstag. Försäljningen hör till ett annat erbjudande.",
        "Ersättningen justerades.",
        "Beräknad ersättning 1\xa0000,00\xa0kr; justerad ersättning 750,00\xa0kr.",
        "Ersättningen beräknades fel. Licenserna räknades två gånger.",
    ]
    positions = [timeline.find(step) for step in steps]
    assert -1 not in positions, (positions, timeline)
    assert positions == sorted(positions), timeline
    # Approved twice: once before the reversal, once after the adjustment.
    assert timeline.count("Anspråket godkändes.") == 2
    assert timeline.rfind("Anspråket godkändes.") > positions[-1]

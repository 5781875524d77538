"""The claims table at 360 px: status and next step in view without scrolling
sideways, the row stacked (issue 28)."""

import pytest

from claims.models import Claim
from tests.claims.factories import ClaimFactory
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import log_in
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_claims_table_shows_status_and_next_step_at_360_px(page, language):
    user = UserFactory(is_company_admin=True, preferred_language=language)
    for status in (Claim.Status.SUBMITTED, Claim.Status.INFO_REQUESTED):
        ClaimFactory(reseller=user.reseller, submitted_by=user, status=status)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, user.email, next_url="/claims/")
    page.wait_for_url("**/claims/")
    scroller = page.locator(".table-responsive")
    sideways = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    for selector in (".claim-status", ".claim-next-step"):
        cell = page.locator(selector).first
        box = cell.bounding_box()
        assert box is not None and box["width"] > 0, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (selector, box)
        assert cell.is_visible(), selector
    if sideways > 0:
        screenshot(page, f"claims-360-{language}")
    assert sideways <= 0

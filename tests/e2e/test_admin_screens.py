"""Staff in a real browser: the admin dashboard, its links, the reviewers' queue
and the schedules. With DOCS_SCREENSHOTS=1 the screenshots are written to
docs/img/ for docs/reviewer-guide.md and docs/operations.md."""

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from claims.models import Claim
from tests.admin.test_jobs import ensure_schedules
from tests.conftest import ROOT
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)
DOCS_IMG = ROOT / "docs" / "img"


def shoot(page, name: str) -> None:
    """A screenshot for the run, and a small one for the docs when asked."""
    screenshot(page, name)
    if os.environ.get("DOCS_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"{name}.png"), full_page=False)


@pytest.fixture
def staff_page(page, browser_context, admin_user, live_server):
    """The superuser signed in: the session made by Django's test client."""
    call_command("seed_demo", verbosity=0)
    ensure_schedules()  # migration rows are gone after an earlier test's flush
    client = Client()
    client.force_login(admin_user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    browser_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server.url,
            },
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": "en",
                "url": live_server.url,
            },
        ]
    )
    return page


def test_staff_open_the_dashboard_and_follow_a_figure(staff_page):
    """The admin index opens on the dashboard with its charts; a queue figure
    leads to the reviewers' queue filtered by that age."""
    page = staff_page
    page.goto("/admin/")
    assert page.get_by_role("heading", name="Where the program stands").is_visible()
    assert page.locator("#chart-claims-per-day svg rect").count() == 30
    shoot(page, "admin-dashboard")

    page.locator("#dashboard-queue a").first.click()
    page.wait_for_load_state()
    assert "waiting=lt2" in page.url
    shoot(page, "admin-queue")

    claim = Claim.objects.exclude(validation_report={}).order_by("pk").first()
    page.goto(f"/admin/claims/claim/{claim.pk}/change/")
    assert page.get_by_text(claim.reference).first.is_visible()
    shoot(page, "admin-claim")

    page.goto("/admin/django_celery_beat/periodictask/")
    page.locator("#toggle-nav-sidebar").click()  # room for the columns
    page.get_by_role("link", name="Run now").nth(1).click()
    page.get_by_role("button", name="Run now").click()
    page.wait_for_load_state()
    assert page.get_by_text("was sent to the workers").is_visible()
    assert page.get_by_text("Succeeded").first.is_visible()
    shoot(page, "admin-schedules")

"""A visitor reads the program page in a real browser, in Swedish and English."""

import pytest

from tests.e2e.conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_reads_the_program_page_in_swedish_then_english(page):
    """The browser asks for Swedish; the switcher changes to English and back."""
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Kom igång med Cash Back-programmet"
    )
    screenshot(page, "program-page-sv")
    assert serious_violations(page) == []

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Get started with the Cash Back program"
    )
    screenshot(page, "program-page-en")
    assert serious_violations(page) == []


def test_the_skip_link_is_the_first_stop_for_the_keyboard(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"


def test_the_program_page_works_at_360_pixels(page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(page, "program-page-360")

"""Browser tests: Playwright driving the distribution's Chromium against a live server.

The browser is never downloaded: it is /usr/bin/chromium (installed by the
Makefile from the system packages). Screenshots of each journey's main pages go
to var/screenshots/; a failing test keeps a Playwright trace in var/traces/.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
TRACES = ROOT / "var" / "traces"

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make for vendor-side setup are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs Chromium at {CHROMIUM}: apt-get install chromium"
                    )
                )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser, request, live_server) -> Iterator:
    """A fresh browser profile per test; the trace is kept when the test fails."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        viewport={"width": 1280, "height": 900},
        # axe-core is injected by evaluate(); our CSP would refuse it otherwise.
        bypass_csp=True,
    )
    context.tracing.start(screenshots=True, snapshots=True)
    yield context
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        TRACES.mkdir(parents=True, exist_ok=True)
        context.tracing.stop(path=str(TRACES / f"{safe_name(request.node.name)}.zip"))
    else:
        context.tracing.stop()
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def staff_page(browser, live_server) -> Iterator:
    """A second person's browser (a reviewer or operator), beside the reseller's."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]

"""The render budget's step (issue 33): every reseller page's template is
rendered again with the context its view built, and reported."""

import re

import pytest
from django.template.backends.django import Template

from bench.measurements import reseller_pages
from bench.render import outermost_render, render_costs
from bench.report import markdown_render
from tests.claims.factories import ClaimFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


def unmasked(html: str) -> str:
    """The page without its CSRF tokens, masked afresh on every render."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def tiny(time_machine):
    """One company with one approved claim and its payout, inside the
    factories' claim window."""
    time_machine.move_to("2026-11-26 10:00:00+01:00", tick=False)
    user = UserFactory()
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user, status="approved")
    PayoutFactory(claim=claim)
    return user


def test_the_step_reports_every_reseller_page(tiny):
    pages = {"home": "/", **reseller_pages(tiny.reseller)}

    figures = render_costs(tiny, pages, runs=2, repeat=2)

    assert set(figures) == set(pages)
    for name, figure in figures.items():
        assert figure["path"] == pages[name]
        assert figure["cpu_ms"] > 0, name
        assert figure["bytes"] > 1000, name
        assert figure["template"].endswith(".html"), name
    assert figures["payouts"]["template"] == "payouts/payout_list.html"
    report = "\n".join(
        markdown_render(
            {
                "render": {
                    "pages": figures,
                    "budget_ms": 1.5,
                    "load_average": [[0.5, 0.4, 0.3], [0.6, 0.4, 0.3]],
                }
            }
        )
    )
    for name in pages:
        assert f"| {name} |" in report


def test_the_render_repeated_is_the_page_the_view_answered(tiny, client):
    """The caught template, context and request render the same HTML."""
    client.force_login(tiny)
    with outermost_render() as caught:
        response = client.get("/claims/", secure=True)

    [page] = caught
    assert isinstance(page.template, Template)
    again = page.template.render(page.context, page.request)
    assert unmasked(again) == unmasked(response.content.decode())


def test_a_page_that_is_not_200_stops_the_step(tiny):
    with pytest.raises(SystemExit, match="404"):
        render_costs(tiny, {"nothing": "/offers/nope/"}, runs=1, repeat=1)

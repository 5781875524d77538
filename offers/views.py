"""Reseller pages of the offer catalogue (R4-R8): thin, reads in selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cashback.clock import program_today
from resellers.access import reseller_required

from . import selectors


@reseller_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """Offers open or coming in the reseller's territory, soonest deadline first."""
    closed = request.GET.get("show") == "closed"
    page, cards = selectors.offer_list_page(
        reseller=request.reseller,
        viewer=request.user,
        page_number=request.GET.get("page"),
        closed=closed,
        today=program_today(),
    )
    return render(
        request,
        "offers/offer_list.html",
        {"page": page, "cards": cards, "closed": closed},
    )


@reseller_required
def offer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Every criterion, the current terms and the reseller's eligibility."""
    detail = selectors.offer_detail(
        reseller=request.reseller, viewer=request.user, slug=slug
    )
    return render(
        request,
        "offers/offer_detail.html",
        {
            "offer": detail.card.offer,
            "card": detail.card,
            "terms": detail.terms,
            "return_period_days": detail.return_period_days,
        },
    )

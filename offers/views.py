"""Reseller pages of the offer catalogue (R4-R8): thin, reads in selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from cashback.clock import program_today
from cashback.pagecache import page_version
from resellers.access import page_scope, reseller_required

from . import selectors


@reseller_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """Offers open or coming in the reseller's territory, soonest deadline first.

    The cards are computed only when their cached fragment is missing.
    """
    closed = request.GET.get("show") == "closed"
    page_number = request.GET.get("page")
    today = program_today()

    def listing() -> dict:
        page, cards = selectors.offer_list_page(
            reseller=request.reseller,
            viewer=request.user,
            page_number=page_number,
            closed=closed,
            today=today,
        )
        return {"page": page, "cards": cards}

    return render(
        request,
        "offers/offer_list.html",
        {
            "listing": SimpleLazyObject(listing),
            "closed": closed,
            "page_number": page_number,
            "page_version": page_version(
                reseller_id=request.reseller.pk,
                today=today,
                scope=page_scope(request.user),
            ),
        },
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

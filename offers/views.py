from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from resellers.access import reseller_required


@reseller_required
def offer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "offers/offer_list.html")


@reseller_required
def offer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "offers/offer_list.html")

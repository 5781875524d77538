from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "offers/offer_list.html")


@login_required
def offer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "offers/offer_list.html")

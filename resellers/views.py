from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .access import reseller_required


@reseller_required
def company(request: HttpRequest) -> HttpResponse:
    """The company profile and its members."""
    return render(request, "resellers/company.html")


@login_required
def verification_required(request: HttpRequest) -> HttpResponse:
    """Until the address is verified, every reseller page leads here."""
    return render(request, "resellers/verification_required.html")


@login_required
def company_pending(request: HttpRequest) -> HttpResponse:
    """The company is not (yet) active: held for a program manager's check."""
    return render(request, "resellers/company_pending.html")

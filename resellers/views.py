from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def company(request: HttpRequest) -> HttpResponse:
    """The company profile and its members."""
    return render(request, "resellers/company.html")

"""Pages that belong to the portal as a whole rather than to one app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from resellers.access import reseller_required
from resellers.services import user_set_language

from .dashboard import reseller_overview


def home(request: HttpRequest) -> HttpResponse:
    """The program page (seed): what it is, how it works, how to claim, the FAQ."""
    return render(request, "home.html")


@reseller_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a signed-in reseller lands: what needs doing next, then the state."""
    overview = reseller_overview(reseller=request.reseller)
    return render(request, "dashboard.html", {"overview": overview})


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch language: kept in the cookie and, when signed in, on the user."""
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)

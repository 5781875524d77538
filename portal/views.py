"""Pages that belong to the portal as a whole rather than to one app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cashback.clock import program_today
from cashback.pagecache import page_version
from resellers.access import reseller_required
from resellers.services import user_set_language

from .dashboard import reseller_overview


def home(request: HttpRequest) -> HttpResponse:
    """The program page (seed): what it is, how it works, how to claim, the FAQ."""
    return render(request, "portal/home.html")


@reseller_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a signed-in reseller lands: what needs doing next, then the state.

    The overview is computed only when its cached fragment is missing.
    """
    reseller = request.reseller
    return render(
        request,
        "portal/dashboard.html",
        {
            "overview": SimpleLazyObject(lambda: reseller_overview(reseller=reseller)),
            "page_version": page_version(
                reseller_id=reseller.pk, today=program_today()
            ),
        },
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch language: kept in the cookie and, when signed in, on the user."""
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)

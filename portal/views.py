"""Pages that belong to the portal as a whole rather than to one app."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cashback.security import ENROLMENT_SESSION_KEY, mfa_enrolment_user
from resellers.access import approval_wait, reseller_required
from resellers.services import user_set_language

from .dashboard import reseller_overview


def home(request: HttpRequest) -> HttpResponse:
    """The program page (seed): what it is, how it works, how to claim, the FAQ."""
    return render(request, "portal/home.html")


@reseller_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a signed-in reseller lands: what needs doing next, then the state."""
    reseller = request.reseller
    user = request.user
    return render(
        request,
        "portal/dashboard.html",
        {
            "overview": reseller_overview(reseller=reseller, viewer=user),
            **approval_wait(user),
        },
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch language: kept in the cookie and, when signed in, on the user."""
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)


@login_required
def staff_mfa_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """Open an enrolment link: this session may now set up a TOTP authenticator.

    The link must name the signed-in user and still be unspent (no
    authenticator yet); anything else is refused without saying why.
    """
    max_age = settings.STAFF_MFA_ENROLMENT_MAX_AGE_HOURS * 3600
    user = mfa_enrolment_user(token, max_age_seconds=max_age)
    if user is None or user.pk != request.user.pk:
        return render(request, "staff/mfa_enrolment_required.html", status=403)
    request.session[ENROLMENT_SESSION_KEY] = user.pk
    return redirect("mfa_activate_totp")

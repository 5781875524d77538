"""Who may see reseller pages: a signed-in user with a verified address (R1, R4)
who belongs to an active reseller company.

Every reseller view in every app is wrapped in `reseller_required`; the view
then reads `request.reseller` and passes it to its selectors, which return
only that company's rows.
"""

from collections.abc import Callable
from functools import wraps

from allauth.account.models import EmailAddress
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import User


def has_verified_email(user: User) -> bool:
    # The request's user arrives with the answer (PortalAuthenticationBackend).
    known = getattr(user, "has_verified_email", None)
    if known is not None:
        return known
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def reseller_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Visitors go to log in; unverified users to verification; then the company."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_verified_email(user):
            return redirect("resellers:verification_required")
        if user.reseller_id is None or not user.reseller.is_active:
            return redirect("resellers:company_pending")
        request.reseller = user.reseller
        return view(request, *args, **kwargs)

    return wrapped

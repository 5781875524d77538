"""Who may see reseller pages: a signed-in user with a verified address (R1, R4)
who belongs to an active reseller company.

Every reseller view in every app is wrapped in `reseller_required`; the view
then reads `request.reseller` and passes it to its selectors, which return
only that company's rows.

A colleague who joined by domain and is not yet approved by a company admin
(`User.is_approved_member`, R20) is refused the bank details and the company
settings by `approved_member_required`, and reads only the claims and payouts
they filed themselves (`seen_by` on the claims and payouts querysets).
"""

from collections.abc import Callable
from functools import wraps

from allauth.account.models import EmailAddress
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .models import User
from .selectors import company_admin_names


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


def approval_wait(user: User) -> dict:
    """What a page tells a member no company admin has approved yet (R20):
    `awaiting_approval`, and the names of the `admins` who can approve them;
    for anyone else, nothing to tell."""
    if user.is_approved_member:
        return {"awaiting_approval": False, "admins": []}
    return {
        "awaiting_approval": True,
        "admins": company_admin_names(user),
    }


def approved_member_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Inside `reseller_required`: a member no company admin has approved yet
    gets a 403 page that says so and names the company admins (R20)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_approved_member:
            return render(
                request,
                "resellers/approval_required.html",
                {"admins": company_admin_names(request.user)},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped

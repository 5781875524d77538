"""The company page and the pages a user sees before they may see offers."""

from functools import partial, wraps

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cashback.security import client_ip

from .access import approved_member_required, has_verified_email, reseller_required
from .forms import CompanyForm
from .selectors import (
    reseller_admin_count,
    reseller_has_claims,
    reseller_member_get,
    reseller_members,
)
from .services import (
    company_admin_require,
    reseller_member_approve,
    reseller_member_make_admin,
    reseller_member_remove,
    reseller_profile_update,
)


@reseller_required
@approved_member_required
def company(request: HttpRequest) -> HttpResponse:
    """The company profile and its members; only the company admin edits.

    A member not yet approved by a company admin is refused (403) with a page
    naming the admins (R20)."""
    reseller = request.reseller
    is_admin = request.user.is_company_admin
    form = CompanyForm(instance=reseller) if is_admin else None
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied
        form = CompanyForm(request.POST, instance=reseller)
        if form.is_valid():
            try:
                reseller_profile_update(
                    reseller=reseller, actor=request.user, changes=form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The company details are saved."))
                return redirect("resellers:company")
        # A refused form must not show the half-applied values as saved ones.
        reseller.refresh_from_db()
    return render(
        request,
        "resellers/company.html",
        {
            "reseller": reseller,
            "form": form,
            "is_admin": is_admin,
            "members": reseller_members(reseller=reseller),
            "has_claims": reseller_has_claims(reseller=reseller),
        },
    )


def _member_step(request: HttpRequest, member_id: int, action: str, act, done: str):
    """A company admin's step on a colleague from the e-mailed link or the
    company page: a GET shows who and asks, the POST acts through the service.
    Anyone else is refused by the service's own check; another company's user
    is a 404."""
    company_admin_require(reseller=request.reseller, actor=request.user)
    member = reseller_member_get(reseller=request.reseller, member_id=member_id)
    if request.method != "POST":
        return render(
            request,
            "resellers/member_confirm.html",
            {
                "member": member,
                "action": action,
                "is_last_admin": member.is_company_admin
                and reseller_admin_count(reseller_id=request.reseller.pk) == 1,
            },
        )
    try:
        act(reseller=request.reseller, actor=request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"name": member.display_name})
    return redirect("resellers:company")


def _password_again_for_an_admin(view):
    """Removing a company admin asks for the password again (issue 27), as
    the bank details do; removing a plain member does not, and anyone but a
    company admin is refused by the view's own check (a 403, nothing asked).
    allauth's decorator, applied per request: its `enabled` callable would
    not see `member_id` when allauth replays the request after the password."""
    password_again = reauthentication_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, member_id: int) -> HttpResponse:
        if request.user.is_company_admin and reseller_admin_count(
            reseller_id=request.reseller.pk, user_id=member_id
        ):
            return password_again(request, member_id)
        return view(request, member_id)

    return wrapped


@reseller_required
@_password_again_for_an_admin
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin removes a colleague (asks first; the password again
    when the colleague is an admin)."""
    return _member_step(
        request,
        member_id,
        "remove",
        partial(reseller_member_remove, ip=client_ip(request)),
        _("%(name)s no longer belongs to the company."),
    )


@reseller_required
def member_approve(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin approves a colleague who joined by domain (R20; asks
    first)."""
    return _member_step(
        request,
        member_id,
        "approve",
        reseller_member_approve,
        _(
            "%(name)s is approved and now sees the company's claims, bank "
            "details and settings."
        ),
    )


@require_POST
@reseller_required
def member_make_admin(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin makes a colleague admin; another company's user is a 404."""
    member = reseller_member_get(reseller=request.reseller, member_id=member_id)
    reseller_member_make_admin(
        reseller=request.reseller,
        actor=request.user,
        member=member,
        ip=client_ip(request),
    )
    messages.success(
        request,
        _("%(name)s is now a company admin.") % {"name": member.display_name},
    )
    return redirect("resellers:company")


@login_required
def verification_required(request: HttpRequest) -> HttpResponse:
    """Until the address is verified, every reseller page leads here."""
    if has_verified_email(request.user):
        return redirect("dashboard")
    return render(request, "resellers/verification_required.html")


@login_required
def company_pending(request: HttpRequest) -> HttpResponse:
    """The company is not (yet) active: held for a program manager's check."""
    return render(request, "resellers/company_pending.html")

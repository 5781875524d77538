"""The company page and the pages a user sees before they may see offers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import approved_member_required, has_verified_email, reseller_required
from .forms import CompanyForm
from .selectors import reseller_has_claims, reseller_member_get, reseller_members
from .services import (
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


def _company_admin_only(request: HttpRequest) -> None:
    if not request.user.is_company_admin:
        raise PermissionDenied(_("Only a company admin can do this."))


@reseller_required
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin removes a colleague: a GET (the e-mailed link) shows who
    and asks, the POST removes. Another company's user is a 404."""
    _company_admin_only(request)
    member = reseller_member_get(reseller=request.reseller, member_id=member_id)
    if request.method != "POST":
        return render(
            request,
            "resellers/member_confirm.html",
            {"member": member, "action": "remove"},
        )
    try:
        reseller_member_remove(
            reseller=request.reseller, actor=request.user, member=member
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s no longer belongs to the company.")
            % {"name": member.display_name},
        )
    return redirect("resellers:company")


@reseller_required
def member_approve(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin approves a colleague who joined by domain (R20): a GET
    (the e-mailed link) shows who and asks, the POST approves. Another
    company's user is a 404."""
    _company_admin_only(request)
    member = reseller_member_get(reseller=request.reseller, member_id=member_id)
    if request.method != "POST":
        return render(
            request,
            "resellers/member_confirm.html",
            {"member": member, "action": "approve"},
        )
    reseller_member_approve(
        reseller=request.reseller, actor=request.user, member=member
    )
    messages.success(
        request,
        _(
            "%(name)s is approved and now sees the company's claims, bank "
            "details and settings."
        )
        % {"name": member.display_name},
    )
    return redirect("resellers:company")


@require_POST
@reseller_required
def member_make_admin(request: HttpRequest, member_id: int) -> HttpResponse:
    """A company admin makes a colleague admin; another company's user is a 404."""
    member = reseller_member_get(reseller=request.reseller, member_id=member_id)
    reseller_member_make_admin(
        reseller=request.reseller, actor=request.user, member=member
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

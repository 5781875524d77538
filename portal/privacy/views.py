"""The account page's personal-data views: thin, they call portal.privacy."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cashback.models import SecurityEvent
from cashback.security_log import security_event_record

from .erasure import PrivacyError, account_close, account_close_refusal
from .export import data_export_for, data_export_request
from .models import DataExport


@never_cache
@login_required
@reauthentication_required
def account(request: HttpRequest) -> HttpResponse:
    """The account page: the profile, "your data" and "close my account";
    after the password (or the Microsoft sign-in) again, so the buttons on it
    act at once."""
    exports = DataExport.objects.filter(user=request.user)[:5]
    return render(request, "privacy/account.html", {"exports": exports})


@require_POST
@login_required
@reauthentication_required
def export_request(request: HttpRequest) -> HttpResponse:
    data_export_request(user=request.user, language=get_language() or "en")
    messages.success(
        request,
        _(
            "We are preparing a copy of your data. We will e-mail you a link "
            "within a few minutes; it works for 7 days."
        ),
    )
    return redirect("privacy:account")


@never_cache
@login_required
@reauthentication_required
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own copy, after re-authentication; anyone else's is a 404."""
    export = data_export_for(user=request.user, token=token)
    if export is None:
        raise Http404(_("This copy is not available (any more)."))
    security_event_record(
        kind=SecurityEvent.Kind.DATA_EXPORT_DOWNLOADED, request=request
    )
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"my-data-{export.requested_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )


@never_cache
@login_required
@reauthentication_required
def close(request: HttpRequest) -> HttpResponse:
    """Close my account: what happens, then the button (after re-authentication)."""
    refusal = account_close_refusal(user=request.user)
    if request.method == "POST" and refusal is None:
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm closing your account."))
        else:
            try:
                account_close(user=request.user, actor=request.user, request=request)
            except PrivacyError as error:  # a refusal that arrived in between
                refusal = error
            else:
                # The log-out's security-log row names the pseudonym, not the
                # address the request loaded.
                request.user.refresh_from_db()
                logout(request)
                messages.success(
                    request,
                    _("Your account is closed. You can no longer sign in."),
                )
                return redirect("home")
    return render(
        request,
        "privacy/close.html",
        {"refusal": refusal},
        status=409 if refusal is not None and request.method == "POST" else 200,
    )

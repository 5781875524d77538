"""Reseller pages for claims: thin, parse the request, call a service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cashback.clock import program_today
from cashback.models import SecurityEvent
from cashback.paging import page_with_total
from cashback.security import client_ip
from cashback.security_log import security_event_record
from offers.eligibility import offer_eligibility
from resellers.access import approval_wait, reseller_required

from . import selectors, services
from .forms import ClaimFileForm, DisputeForm, InvoiceUploadForm
from .models import Claim
from .presentation import claim_rows, next_step, timeline

CLAIMS_PER_PAGE = 20
OPEN_STATES = (
    Claim.Status.SUBMITTED,
    Claim.Status.IN_REVIEW,
    Claim.Status.INFO_REQUESTED,
    Claim.Status.DISPUTED,
)


@reseller_required
def claim_file(request: HttpRequest, slug: str) -> HttpResponse:
    """The claim form of one offer: numbers, the terms in full, the tick (R8).

    The form and its POST read the offer once each with all they need
    (`selectors.offer_for_filing`); the terms version shown travels signed
    (`filing_token`), so the filing compares the current one with what the
    reseller read, not with what an unsigned field says."""
    reseller = request.reseller
    form = ClaimFileForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        offer = selectors.offer_for_filing(
            reseller=reseller, slug=slug, draw_reference=True
        )
        if form.is_valid():
            try:
                claim = services.claim_file(
                    reseller=reseller,
                    offer=offer,
                    user=request.user,
                    agreement_numbers=form.cleaned_data["agreement_numbers"],
                    accepted_terms=form.cleaned_data["accepted_terms"],
                    ip=client_ip(request),
                    terms_version=services.filing_terms_version(
                        token=form.cleaned_data["filing"],
                        offer=offer,
                        user=request.user,
                        unsigned=form.cleaned_data["terms_version"],
                    ),
                )
            except services.ClaimError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "Claim %(reference)s is filed. We will e-mail you about "
                        "each step."
                    )
                    % {"reference": claim.reference},
                )
                return redirect(claim)
    # The page shows the terms in full: read again with their texts.
    offer = selectors.offer_for_filing(reseller=reseller, slug=slug, terms_text=True)
    terms = offer.filing_terms
    eligibility = offer_eligibility(
        offer=offer,
        reseller=reseller,
        memberships=offer.filing_memberships,
        existing_claim_reference=offer.filing_existing_reference,
    )
    if terms is not None:
        shown = {
            "terms_version": terms.version,
            "filing": services.filing_token(offer=offer, user=request.user),
        }
        form.initial.update(shown)
        if form.is_bound:
            form.data = form.data.copy()
            for name, value in shown.items():
                form.data[name] = value
    return render(
        request,
        "claims/claim_file.html",
        {
            "offer": offer,
            "terms": terms,
            "form": form,
            "eligibility": eligibility,
        },
        status=400 if form.is_bound else 200,
    )


@reseller_required
def claim_list(request: HttpRequest) -> HttpResponse:
    """The company's claims with their status and next step."""
    page = page_with_total(
        selectors.claim_list_values(
            selectors.claims_of_reseller(reseller=request.reseller, viewer=request.user)
        ),
        CLAIMS_PER_PAGE,
        request.GET.get("page"),
    )
    return render(
        request,
        "claims/claim_list.html",
        {
            "page": page,
            "rows": claim_rows(page.object_list),
            **approval_wait(request.user),
        },
    )


@reseller_required
def claim_detail(
    request: HttpRequest,
    reference: str,
    dispute_form: DisputeForm | None = None,
    upload_form: InvoiceUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """One claim: agreements, terms accepted, amount, timeline and what to do."""
    claim = selectors.claim_history_load(
        selectors.claim_of_reseller(
            reseller=request.reseller,
            viewer=request.user,
            reference=reference,
            with_offer_and_terms=True,
            with_payout=True,
        )
    )
    context = {
        "claim": claim,
        "next_step": next_step(claim),
        "payout": selectors.claim_payout_read(claim),
        # Lists of what `claim_history_load` read: nothing lazy in the template.
        "agreements": list(claim.agreements.all()),
        "invoices": list(claim.invoices.all()),
        "timeline": timeline(claim),
        # Told while a reviewer has yet to decide: what they will find.
        "unknown_numbers": selectors.claim_unknown_numbers(claim)
        if claim.status in OPEN_STATES
        else [],
        "can_upload": claim.status == Claim.Status.INFO_REQUESTED,
        "can_withdraw": services.claim_can_withdraw(claim),
        "can_dispute": services.claim_can_dispute(claim),
        "dispute_form": dispute_form or DisputeForm(),
        "upload_form": upload_form or InvoiceUploadForm(),
    }
    return render(request, "claims/claim_detail.html", context, status=status)


@reseller_required
def claim_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    """Withdrawal asks on its own page first and says what happens; the POST
    from that page withdraws."""
    claim = selectors.claim_of_reseller(
        reseller=request.reseller, viewer=request.user, reference=reference
    )
    if request.method != "POST":
        if not services.claim_can_withdraw(claim):
            messages.error(request, _("This claim can no longer be withdrawn."))
            return redirect(claim)
        offer = claim.offer
        context = {
            "claim": claim,
            "offer": offer,
            "numbers": claim.agreements.filter(is_active=True).values_list(
                "agreement_number", flat=True
            ),
            "window_open": program_today() <= offer.claim_closes_on,
        }
        return render(request, "claims/claim_withdraw.html", context)
    try:
        services.claim_withdraw(claim=claim, user=request.user)
    except services.ClaimError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The claim is withdrawn."))
    return redirect(claim)


@require_POST
@reseller_required
def claim_dispute(request: HttpRequest, reference: str) -> HttpResponse:
    claim = selectors.claim_of_reseller(
        reseller=request.reseller, viewer=request.user, reference=reference
    )
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.claim_dispute(
                claim=claim, user=request.user, comment=form.cleaned_data["comment"]
            )
        except services.ClaimError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your dispute is sent to the reviewers."))
            return redirect(claim)
    return claim_detail.__wrapped__(request, reference, dispute_form=form, status=400)


@require_POST
@reseller_required
def claim_upload_invoice(request: HttpRequest, reference: str) -> HttpResponse:
    claim = selectors.claim_of_reseller(
        reseller=request.reseller, viewer=request.user, reference=reference
    )
    form = InvoiceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.claim_upload_invoice(
                claim=claim, user=request.user, upload=form.cleaned_data["file"]
            )
        except services.ClaimError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Thank you: the invoice copy is with the reviewer.")
            )
            return redirect(claim)
    return claim_detail.__wrapped__(request, reference, upload_form=form, status=400)


@login_required
def invoice_download(
    request: HttpRequest, reference: str, invoice_id: int
) -> HttpResponseBase:
    """An invoice copy, as an attachment, to the company's users and to staff
    who may view invoice copies (the middleware has checked their second
    factor); every download is in the security log."""
    if request.user.is_staff:
        if not request.user.has_perm("claims.view_invoicedocument"):
            raise PermissionDenied
        response = _invoice_response(None, reference, invoice_id)
    else:
        response = _reseller_invoice_download(request, reference, invoice_id)
    if response.status_code == 200:
        security_event_record(
            kind=SecurityEvent.Kind.INVOICE_DOWNLOADED,
            request=request,
            claim=reference,
            invoice=invoice_id,
        )
    return response


@reseller_required
def _reseller_invoice_download(
    request: HttpRequest, reference: str, invoice_id: int
) -> HttpResponseBase:
    return _invoice_response(request.reseller, reference, invoice_id, request.user)


def _invoice_response(
    reseller, reference: str, invoice_id: int, viewer=None
) -> FileResponse:
    document = selectors.invoice_of_reseller(
        reseller=reseller, reference=reference, invoice_id=invoice_id, viewer=viewer
    )
    extension = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{reference}-invoice-{document.pk}.{extension}",
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

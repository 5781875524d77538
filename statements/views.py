"""Reseller pages of statements: the list by year with its summary, each
statement and VAT document as a page, its PDF and UBL downloads, and the
company's self-billing answer. Staff read documents through admin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cashback.errors import PortalError
from cashback.paging import page_with_total
from resellers.access import reseller_required

from . import selectors, services
from .models import PaymentStatement, VatDocument
from .rendering import statement_context, vat_document_context
from .ubl import ubl_build

PAGE_SIZE = 20


@never_cache
@reseller_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """The company's statements of one year, newest first, and that year's
    totals per currency for the books."""
    reseller, viewer = request.reseller, request.user
    years = selectors.statement_years(reseller=reseller, viewer=viewer)
    try:
        year = int(request.GET.get("year") or (years[0] if years else 0))
    except ValueError:
        raise Http404 from None
    statements = selectors.statements_for_reseller(
        reseller=reseller, viewer=viewer, year=year or None
    )
    page = page_with_total(statements, PAGE_SIZE, request.GET.get("page"))
    return render(
        request,
        "statements/statement_list.html",
        {
            "page": page,
            "years": years,
            "year": year,
            "summary": selectors.yearly_summary(
                reseller=reseller, viewer=viewer, year=year
            )
            if year
            else [],
            "self_billing": services.self_billing_in_force(reseller=reseller),
        },
    )


def _scope(request: HttpRequest, permission: str):
    """(company, viewer) to read documents as: staff with `permission` read
    any (None, None); a reseller's user only the company's."""
    if request.user.is_staff:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return None, None
    return getattr(request, "reseller", None), request.user


def _reseller_or_staff(view):
    """Staff pass to the view (it checks the permission); everyone else goes
    through `reseller_required` (company set, unverified users sent away)."""

    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_staff:
            return view(request, *args, **kwargs)
        return reseller_required(view)(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@never_cache
@_reseller_or_staff
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    reseller, viewer = _scope(request, "statements.view_paymentstatement")
    statement = selectors.statement_get(
        reseller=reseller, viewer=viewer, statement_id=statement_id
    )
    with translation.override(statement.language):
        body = statement_context(statement.content)
    return render(
        request,
        "statements/statement_detail.html",
        {"statement": statement, "documents": statement.vat_documents.all(), **body},
    )


@never_cache
@_reseller_or_staff
def vat_document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    reseller, viewer = _scope(request, "statements.view_vatdocument")
    document = selectors.vat_document_get(
        reseller=reseller, viewer=viewer, document_id=document_id
    )
    with translation.override(document.language):
        body = vat_document_context(document.content)
    return render(
        request,
        "statements/vat_document_detail.html",
        {"document": document, **body},
    )


def _download(content, *, filename: str, content_type: str) -> HttpResponseBase:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf(document: PaymentStatement | VatDocument, filename: str):
    with document.pdf.open("rb") as handle:
        return _download(
            handle.read(), filename=filename, content_type="application/pdf"
        )


@_reseller_or_staff
def statement_pdf(request: HttpRequest, statement_id: int) -> HttpResponseBase:
    reseller, viewer = _scope(request, "statements.view_paymentstatement")
    statement = selectors.statement_get(
        reseller=reseller, viewer=viewer, statement_id=statement_id
    )
    return _pdf(statement, f"statement-{statement.payment_id}.pdf")


@_reseller_or_staff
def vat_document_pdf(request: HttpRequest, document_id: int) -> HttpResponseBase:
    reseller, viewer = _scope(request, "statements.view_vatdocument")
    document = selectors.vat_document_get(
        reseller=reseller, viewer=viewer, document_id=document_id
    )
    return _pdf(document, f"{document.number}.pdf")


@_reseller_or_staff
def vat_document_ubl(request: HttpRequest, document_id: int) -> HttpResponseBase:
    reseller, viewer = _scope(request, "statements.view_vatdocument")
    document = selectors.vat_document_get(
        reseller=reseller, viewer=viewer, document_id=document_id
    )
    return _download(
        ubl_build(document.content),
        filename=f"{document.number}.xml",
        content_type="application/xml",
    )


@require_POST
@reseller_required
def self_billing(request: HttpRequest) -> HttpResponse:
    """A company admin accepts or withdraws self-billing."""
    try:
        if request.POST.get("answer") == "accept":
            services.self_billing_agreement_accept(
                reseller=request.reseller,
                user=request.user,
                ip=request.META.get("REMOTE_ADDR"),
            )
            messages.success(
                request,
                _(
                    "Self-billing accepted: payments of offers that use it now come "
                    "with an invoice we issue in the company's name."
                ),
            )
        else:
            services.self_billing_agreement_withdraw(
                reseller=request.reseller, user=request.user
            )
            messages.success(
                request,
                _("Self-billing withdrawn: later payments come with credit notes."),
            )
    except PortalError as error:
        messages.error(request, str(error))
    return redirect("statements:list")

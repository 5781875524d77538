"""Reseller pages of payouts: the list and the secure bank-details page."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from resellers.access import reseller_required

from . import selectors, services
from .forms import BankAccountForm, ConfirmAccountForm
from .models import Payout

PAGE_SIZE = 20


@never_cache
@reseller_required
def payout_list(request: HttpRequest) -> HttpResponse:
    """Each payout: amount, state in plain words, what to do and by when."""
    payouts = selectors.payouts_for_reseller(reseller=request.reseller)
    page = Paginator(payouts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payouts/payout_list.html",
        {"page": page, "Status": Payout.Status},
    )


@never_cache
@reseller_required
def bank_details_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: a signed, expiring pointer to one payout's page."""
    payout_id = services.bank_details_link_payout_id(token)
    if payout_id is None:
        messages.warning(
            request,
            _(
                "That link has expired or is not valid. Open the payout from the "
                "list below."
            ),
        )
        return redirect("payouts:list")
    selectors.payout_for_reseller(reseller=request.reseller, payout_id=payout_id)
    return redirect("payouts:bank_details", payout_id=payout_id)


def _apply_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


@never_cache
@reseller_required
@reauthentication_required
def bank_details(request: HttpRequest, payout_id: int) -> HttpResponse:
    """Confirm the current account in one click or submit a new one (R3, R12)."""
    reseller = request.reseller
    payout = selectors.payout_for_reseller(reseller=reseller, payout_id=payout_id)
    awaiting = payout.status == Payout.Status.AWAITING_BANK_DETAILS
    if not awaiting and request.method == "POST":
        messages.info(request, _("This payout needs no bank details now."))
        return redirect("payouts:list")
    current = selectors.current_bank_account(reseller=reseller)
    currencies = payout.offer.payout_currencies_offered()
    initial = {
        "beneficiary_name": reseller.legal_name,
        "bank_country": reseller.country.code,
        "currency": reseller.preferred_currency
        if reseller.preferred_currency in currencies
        else currencies[0],
    }
    confirm_form = ConfirmAccountForm(prefix="confirm")
    account_form = BankAccountForm(
        prefix="account", currencies=currencies, initial=initial
    )
    if request.method == "POST" and "confirm-submit" in request.POST:
        confirm_form = ConfirmAccountForm(request.POST, prefix="confirm")
        if confirm_form.is_valid():
            try:
                services.bank_account_confirm(
                    reseller=reseller,
                    user=request.user,
                    payout=payout,
                    address_confirmed=confirm_form.cleaned_data["address_confirmed"],
                )
            except ValidationError as error:
                _apply_errors(confirm_form, error)
            except services.PayoutError as error:
                confirm_form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Thank you: the bank details are confirmed.")
                )
                return redirect("payouts:list")
    elif request.method == "POST":
        account_form = BankAccountForm(
            request.POST, prefix="account", currencies=currencies
        )
        if account_form.is_valid():
            data = account_form.cleaned_data
            try:
                services.bank_account_submit(
                    reseller=reseller,
                    user=request.user,
                    beneficiary_name=data["beneficiary_name"],
                    iban=data["iban"],
                    account_number=data["account_number"],
                    bank_code=data["bank_code"],
                    bic=data["bic"],
                    bank_country=data["bank_country"] or "",
                    currency=data["currency"],
                    payout=payout,
                    address_confirmed=data["address_confirmed"],
                )
            except ValidationError as error:
                _apply_errors(account_form, error)
            except services.PayoutError as error:
                account_form.add_error(None, str(error))
            else:
                messages.success(request, _("Thank you: the bank details are saved."))
                return redirect("payouts:list")
    return render(
        request,
        "payouts/bank_details.html",
        {
            "payout": payout,
            "reseller": reseller,
            "current": current,
            "confirm_form": confirm_form,
            "account_form": account_form,
            "awaiting": awaiting,
        },
    )

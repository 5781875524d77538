"""Reseller pages of payouts: the list and the secure bank-details page."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from cashback.clock import program_today
from cashback.errors import PortalError
from cashback.paging import page_with_total
from cashback.security import client_ip
from resellers.access import (
    approval_wait,
    approved_member_required,
    reseller_required,
)

from . import selectors, services
from .forms import BankAccountForm, ConfirmAccountForm
from .models import Payout

PAGE_SIZE = 20


@never_cache
@reseller_required
def payout_list(request: HttpRequest) -> HttpResponse:
    """Each payout: amount, state in plain words, what to do and by when."""
    payouts = selectors.payouts_for_reseller(
        reseller=request.reseller, viewer=request.user
    )
    # From a claim's page: that claim's payout only.
    claim = request.GET.get("claim", "").strip()
    if claim:
        payouts = payouts.filter(claim__reference=claim)
    page = page_with_total(payouts, PAGE_SIZE, request.GET.get("page"))
    now = timezone.now()
    today = program_today(now)
    for payout in page:
        payout.expected_by = payout.expected_payment_by(today)
        # Before the notice has gone out: the date it states when written
        # now; the window counts from when it is sent, so never earlier.
        payout.due_by = payout.bank_details_due_at or services.bank_details_due(
            now, payout.offer.bank_details_term_days
        )
        # Why a ready payout waits (issue 15): the rule's own words.
        payout.hold_reason = (
            services.account_payment_block(payout.bank_account, now=now)
            if payout.status in (Payout.Status.READY, Payout.Status.SCHEDULED)
            else None
        )
    return render(
        request,
        "payouts/payout_list.html",
        {
            "page": page,
            "Status": Payout.Status,
            "claim": claim,
            **approval_wait(request.user),
        },
    )


@never_cache
@reseller_required
@approved_member_required
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


def _apply_errors(form, error: PortalError) -> None:
    """Each message of a refusal on its form field (the form's top otherwise)."""
    for field, problems in error.message_dict.items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


@never_cache
@reseller_required
@approved_member_required
def bank_details(request: HttpRequest, payout_id: int) -> HttpResponse:
    """Confirm the current account in one click or submit a new one (R3, R12).

    A member who is not an admin is told so at once; only an admin is asked
    for their password again (issue 28: members were asked first, then told
    they could not act)."""
    if not request.user.is_company_admin:
        return _bank_details_admins_only(request, payout_id)
    return _bank_details_admin(request, payout_id)


def _bank_details_admins_only(request: HttpRequest, payout_id: int) -> HttpResponse:
    reseller = request.reseller
    payout = selectors.payout_for_reseller(reseller=reseller, payout_id=payout_id)
    awaiting = payout.status == Payout.Status.AWAITING_BANK_DETAILS
    # Others see that details are needed and whom to ask (issue 15).
    if request.method == "POST":
        messages.error(
            request,
            _(
                "Only a company admin can enter or confirm the company's bank "
                "details. Ask one of your company admins."
            ),
        )
    return render(
        request,
        "payouts/bank_details_admins_only.html",
        {
            "payout": payout,
            "awaiting": awaiting,
            "admins": selectors.company_admins(reseller=reseller),
        },
        status=403 if request.method == "POST" else 200,
    )


@reauthentication_required
def _bank_details_admin(request: HttpRequest, payout_id: int) -> HttpResponse:
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
            except services.PayoutError as error:
                _apply_errors(confirm_form, error)
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
                account = services.bank_account_submit(
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
            except services.PayoutError as error:
                _apply_errors(account_form, error)
            else:
                waiting = account.payouts.count()
                messages.success(
                    request,
                    ngettext(
                        "Thank you: the bank details are saved. %(count)s payout "
                        "of the company waits until %(date)s: a new account is "
                        "paid once every company admin had time to object, or "
                        "once our operators verified it with you.",
                        "Thank you: the bank details are saved. %(count)s payouts "
                        "of the company wait until %(date)s: a new account is "
                        "paid once every company admin had time to object, or "
                        "once our operators verified it with you.",
                        waiting,
                    )
                    % {
                        "count": waiting,
                        # The cooling-off starts once the notice reached every
                        # admin (issue 27): until then, what the e-mail states.
                        "date": date_format(
                            timezone.localtime(
                                account.cooling_off_until
                                or services.cooling_off_estimate(timezone.now())
                            ),
                            "DATE_FORMAT",
                        ),
                    },
                )
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
            "confirmable": current is not None and current.can_be_confirmed,
            # What saving a new account does to the company's other payouts.
            "held_count": services.payouts_a_new_account_takes(
                reseller_id=reseller.pk
            ).count(),
            "held_until": services.cooling_off_estimate(timezone.now()),
        },
    )


@never_cache
def bank_account_objection(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed "this was not us" link: the signed token is the proof, so
    an admin who cannot sign in can still stop the money (a GET only asks, so
    a mail scanner that opens links freezes nothing). A link about a removed
    or demoted admin also restores them (issue 27)."""
    end = selectors.company_admin_end_for_objection(
        end_id=services.company_admin_objection_end_id(token)
    )
    if end is not None:
        return _company_admin_objection(request, end)
    account_id = services.bank_account_objection_account_id(token)
    account = selectors.bank_account_for_objection(account_id=account_id)
    frozen = False
    if account is not None and request.method == "POST":
        services.bank_account_freeze(
            account=account,
            reason=_("A company admin used the 'this was not us' link."),
        )
        frozen = True
    return render(
        request,
        "payouts/account_objection.html",
        {"account": account, "frozen": frozen or bool(account and account.frozen_at)},
        status=404 if account is None else 200,
    )


def _company_admin_objection(request: HttpRequest, end) -> HttpResponse:
    done = end.restored_at is not None
    restored = done
    if request.method == "POST":
        restored, _frozen = services.company_admin_objection(
            end=end, ip=client_ip(request)
        )
        done = True
    return render(
        request,
        "payouts/admin_removal_objection.html",
        {"end": end, "done": done, "restored": restored},
    )

"""Bank details: a new account version, the one-click confirmation, the
conversion to the payout currency and key rotation (R3, R12)."""

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from resellers.addresses import address_is_complete
from resellers.models import Reseller, User

from ..bank.models import InboundBankFile
from ..banking import account_check, beneficiary_check
from ..crypto import (
    account_number_encrypt,
    account_number_fingerprint,
)
from ..models import BankAccount, ExchangeRate, PaymentBatch, Payout, PayoutEvent
from .errors import PayoutError
from .holds import (
    Announcement,
    bank_account_announce,
    bank_account_shared_announce,
)
from .transitions import S, locked_batches, payout_lock, payout_move

logger = logging.getLogger(__name__)


def _currency_check(payout: Payout, currency: str) -> None:
    offered = payout.offer.payout_currencies_offered()
    if currency not in offered:
        raise PayoutError(
            _("This offer pays in %(currencies)s: choose one of them.")
            % {"currencies": ", ".join(offered)},
            code=PayoutError.Code.CURRENCY_NOT_OFFERED,
            field="currency",
        )


def _address_check(reseller: Reseller, address_confirmed: bool) -> None:
    if not address_is_complete(reseller):
        raise PayoutError(
            _(
                "The company's postal address is incomplete: complete it on "
                "the company page first."
            ),
            code=PayoutError.Code.ADDRESS_INCOMPLETE,
            field="address_confirmed",
        )
    if not address_confirmed:
        raise PayoutError(
            _("Confirm that the company's postal address is correct."),
            code=PayoutError.Code.ADDRESS_NOT_CONFIRMED,
            field="address_confirmed",
        )


def _company_admin_check(reseller: Reseller, user: User) -> None:
    """Only a company admin decides where the company's money goes (issue 15)."""
    if not (user.is_company_admin and user.reseller_id == reseller.pk):
        raise PayoutError(
            _(
                "Only a company admin can enter or confirm the company's bank "
                "details. Ask one of your company admins."
            ),
            code=PayoutError.Code.NOT_COMPANY_ADMIN,
        )


def _refused_before_check(reseller: Reseller, fingerprint: str, field: str) -> None:
    """An account number the bank refused is not taken again as a new one."""
    if BankAccount.objects.filter(
        reseller=reseller, account_fingerprint=fingerprint, refused_at__isnull=False
    ).exists():
        raise PayoutError(
            _(
                "The bank refused payments to this account before: enter "
                "another account."
            ),
            code=PayoutError.Code.ACCOUNT_REFUSED_BEFORE,
            field=field,
        )


def _earlier_holders(reseller: Reseller, fingerprint: str) -> list[int]:
    """The other companies that entered this account number before `reseller`
    first did: the account is theirs, and a new one of `reseller` with it is
    held until an operator decides (a company entering its own number again
    is not held because another entered it after it)."""
    own_first = None
    others: dict[int, object] = {}
    for reseller_id, created_at in BankAccount.objects.filter(
        account_fingerprint=fingerprint
    ).values_list("reseller_id", "created_at"):
        if reseller_id == reseller.pk:
            own_first = min(own_first or created_at, created_at)
        else:
            others[reseller_id] = min(others.get(reseller_id, created_at), created_at)
    return sorted(
        reseller_id
        for reseller_id, first in others.items()
        if own_first is None or first < own_first
    )


def _convert(
    payout: Payout, currency: str
) -> tuple[Decimal, Decimal, ExchangeRate | None]:
    """The payout amount in `currency`, the rate (R12: rate recorded) and the
    rate's row (None in the reward currency).

    Only a usable rate counts: one waiting for a second operator is as good as
    none (services.rates). The row lock makes a change or deletion of the rate
    wait for this conversion, and then see it in use."""
    if currency == payout.currency:
        return payout.amount, Decimal(1), None
    row = (
        ExchangeRate.objects.usable()
        .select_for_update(no_key=True)
        .filter(
            base_currency=payout.currency,
            quote_currency=currency,
            rate_date=payout.offer.calculation_date,
        )
        .first()
    )
    if row is None:
        raise PayoutError(
            _(
                "Payment in %(currency)s is not possible yet: no exchange rate "
                "from %(reward)s for %(date)s. Choose %(reward)s or contact "
                "support."
            )
            % {
                "currency": currency,
                "reward": payout.currency,
                "date": date_format(payout.offer.calculation_date),
            },
            code=PayoutError.Code.NO_EXCHANGE_RATE,
            field="currency",
        )
    converted = (payout.amount * row.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return converted, row.rate, row


def _lock_awaiting(payout: Payout, reseller: Reseller) -> Payout:
    """The company's payout, locked, when it may still take bank details."""
    return payout_lock(
        payout,
        to=S.READY,
        reseller=reseller,
        refusal=lambda locked: (
            _("Bank details are not needed for this payout any more (%(status)s).")
            % {"status": locked.get_status_display()}
        ),
    )


def _payout_make_ready(
    payout: Payout, account: BankAccount, user: User, kind: str
) -> None:
    """awaiting_bank_details -> ready with the account and converted amount."""
    _currency_check(payout, account.currency)
    payout.payout_amount, payout.exchange_rate, payout.converted_with = _convert(
        payout, account.currency
    )
    payout.bank_account = account
    payout.payout_currency = account.currency
    payout_move(
        payout,
        to=S.READY,
        kind=kind,
        actor=user,
        message=_("Account %(account)s") % {"account": account.masked_account},
        fields=[
            "bank_account",
            "payout_currency",
            "payout_amount",
            "exchange_rate",
            "converted_with",
        ],
    )


def bank_account_submit(
    *,
    reseller: Reseller,
    user: User,
    beneficiary_name: str,
    iban: str = "",
    account_number: str = "",
    bank_code: str = "",
    bic: str = "",
    bank_country: str = "",
    currency: str,
    payout: Payout | None = None,
    address_confirmed: bool = True,
) -> BankAccount:
    """Store a new version of the company's bank account (R3, R12).

    Only a company admin may. Validates everything first; raises PayoutError
    with every problem on its form field. The previous version is kept and
    stops being current. Every company admin is told at once, and the account
    is paid only after the cooling-off period (or an operator's verification,
    holds.py). With `payout`, that payout moves to ready on the new account;
    so does every other payout of the company waiting for details, and those
    not yet in a released batch move to it when it has their currency.
    """
    _company_admin_check(reseller, user)
    errors: dict[str, list[ValidationError]] = {}

    def collect(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ValidationError as error:
            # The account checks carry no code of their own: they are all
            # about invalid bank details.
            for field, problems in error.error_dict.items():
                errors[field] = [
                    ValidationError(
                        problem.message,
                        code=problem.code or PayoutError.Code.INVALID_BANK_DETAILS,
                        params=problem.params,
                    )
                    for problem in problems
                ]
            return None

    beneficiary = collect(
        beneficiary_check,
        beneficiary_name=beneficiary_name,
        reseller=reseller,
    )
    clean = collect(
        account_check,
        iban=iban,
        account_number=account_number,
        bank_code=bank_code,
        bic=bic,
        bank_country=bank_country,
    )
    collect(_address_check, reseller, address_confirmed)
    if payout is not None:
        collect(_currency_check, payout, currency)
    if errors:
        raise PayoutError(errors)
    assert clean is not None
    fingerprint = account_number_fingerprint(clean.number)
    _refused_before_check(
        reseller,
        fingerprint,
        "account_number" if account_number and not iban else "iban",
    )
    now = timezone.now()
    with transaction.atomic():
        # Lock the company's versions so two submissions number them in turn.
        versions = list(
            BankAccount.objects.select_for_update()
            .filter(reseller=reseller)
            .order_by("-version")
            .values_list("pk", "version")
        )
        locked_payout = _lock_awaiting(payout, reseller) if payout else None
        BankAccount.objects.filter(reseller=reseller, is_current=True).update(
            is_current=False
        )
        # Only the newcomer's account is held: the company that had the
        # number first keeps being paid, and is told (issue 27).
        first_holders = _earlier_holders(reseller, fingerprint)
        shared = bool(first_holders)
        account = BankAccount.objects.create(
            reseller=reseller,
            version=(versions[0][1] + 1) if versions else 1,
            is_current=True,
            beneficiary_name=beneficiary,
            account_number_encrypted=account_number_encrypt(clean.number),
            account_fingerprint=fingerprint,
            account_last4=clean.number[-4:],
            is_iban=clean.is_iban,
            bank_code=clean.bank_code,
            bic=clean.bic,
            bank_country=clean.bank_country,
            currency=currency,
            shared_with_other_reseller=shared,
            created_by=user,
        )
        if shared:
            logger.warning(
                "Bank account %s of reseller %s is also used by another reseller",
                account.masked_account,
                reseller.pk,
            )
            bank_account_shared_announce(
                account=account, owner_ids=first_holders, now=now
            )
        if locked_payout is not None:
            _payout_make_ready(
                locked_payout, account, user, PayoutEvent.Kind.BANK_DETAILS_SUBMITTED
            )
        _siblings_move_to(account, user, skip=locked_payout)
        # Held until this notice reached every admin; the cooling-off counts
        # from then (holds.bank_account_notices_record, issue 27).
        # (An update, not a save: no second history row for one version.)
        account.told_notice_key = bank_account_announce(
            account=account, actor=user, kind=Announcement.NEW, now=now
        )
        BankAccount.objects.filter(pk=account.pk).update(
            told_notice_key=account.told_notice_key
        )
    return account


def payouts_a_new_account_takes(*, reseller_id: int) -> QuerySet[Payout]:
    """The company's payouts a new account applies to (`_siblings_move_to`),
    so also those it holds until it may be paid: waiting for details, ready
    or scheduled, not in a released batch. The bank-details page counts them
    before an admin saves (issue 28)."""
    return Payout.objects.filter(
        Q(batch__isnull=True) | Q(batch__status=PaymentBatch.Status.DRAFT),
        reseller_id=reseller_id,
        status__in=[S.AWAITING_BANK_DETAILS, S.READY, S.SCHEDULED],
    )


def _siblings_move_to(account: BankAccount, user: User, *, skip: Payout | None) -> None:
    """New details apply to every open payout of the company not yet in a
    released batch: those waiting for details become ready on the account
    (when their offer pays in its currency), and those ready or scheduled in
    that currency are paid to it instead of the old one."""
    rows = (
        payouts_a_new_account_takes(reseller_id=account.reseller_id)
        .select_for_update(of=("self",))
        .select_related("claim", "reseller", "offer")
        .order_by("pk")
    )
    if skip is not None:
        rows = rows.exclude(pk=skip.pk)
    waiting = rows.filter(status=S.AWAITING_BANK_DETAILS)
    for payout in waiting:
        try:
            _payout_make_ready(
                payout, account, user, PayoutEvent.Kind.BANK_DETAILS_SUBMITTED
            )
        except PayoutError:
            # Not paid in this currency (or no rate yet): it keeps waiting
            # for details of its own, as before.
            continue
    moved = rows.filter(
        status__in=[S.READY, S.SCHEDULED], payout_currency=account.currency
    ).exclude(bank_account=account)
    moved.update(bank_account=account, updated_at=timezone.now())


def bank_account_confirm(
    *, reseller: Reseller, user: User, payout: Payout, address_confirmed: bool = True
) -> Payout:
    """One click: pay this payout to the company's current account.

    Only a company admin may; the beneficiary is checked against the company's
    current legal name again, and every company admin is told.
    """
    _company_admin_check(reseller, user)
    _address_check(reseller, address_confirmed)
    with transaction.atomic():
        locked = _lock_awaiting(payout, reseller)
        account = BankAccount.objects.filter(reseller=reseller, is_current=True).first()
        if account is None:
            raise PayoutError(
                _("No bank account is on file: enter one."),
                code=PayoutError.Code.NO_CURRENT_ACCOUNT,
            )
        try:
            beneficiary_check(
                beneficiary_name=account.beneficiary_name, reseller=locked.reseller
            )
        except ValidationError as error:
            raise PayoutError(
                _(
                    "The account on file is not in the company's current legal "
                    "name: enter the bank details again."
                ),
                code=PayoutError.Code.INVALID_BANK_DETAILS,
            ) from error
        if not account.can_be_confirmed:
            raise PayoutError(
                _(
                    "The account on file cannot be paid any more: enter other "
                    "bank details."
                ),
                code=PayoutError.Code.ACCOUNT_FROZEN,
            )
        if locked.cycle > 1 and locked.bank_account_id == account.pk:
            raise PayoutError(
                _(
                    "The bank refused this account: enter corrected bank details "
                    "instead."
                ),
                code=PayoutError.Code.ACCOUNT_REFUSED_BEFORE,
            )
        _payout_make_ready(
            locked, account, user, PayoutEvent.Kind.BANK_DETAILS_CONFIRMED
        )
        bank_account_announce(
            account=account,
            actor=user,
            kind=Announcement.CONFIRMED,
            now=timezone.now(),
        )
    return locked


def bank_accounts_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every account number with the newest key (after a rotation):
    the accounts and their history rows, which keep a copy of each version."""
    changed = _reencrypt(BankAccount, "account_number_encrypted", batch_size)
    return changed + _reencrypt(
        BankAccount.history.model, "account_number_encrypted", batch_size
    )


def payment_files_reencrypt(*, batch_size: int = 50) -> int:
    """Re-encrypt every stored pain.001 file, and every bank file an
    operator uploaded, with the newest key."""
    changed = _reencrypt(
        PaymentBatch,
        "payment_file",
        batch_size,
        PaymentBatch.objects.exclude(payment_file=""),
    )
    return changed + _reencrypt(
        InboundBankFile,
        "content_encrypted",
        batch_size,
        InboundBankFile.objects.exclude(content_encrypted=""),
    )


def _reencrypt(model, field: str, batch_size: int, rows=None) -> int:
    from ..crypto import account_number_rotate

    changed = 0
    rows = model._default_manager.all() if rows is None else rows
    # Every row, waiting for any a submission holds: a rotation leaves none.
    for batch in locked_batches(rows, batch_size=batch_size, skip_locked=False):
        for row in batch:
            setattr(row, field, account_number_rotate(getattr(row, field)))
        model._default_manager.bulk_update(batch, [field])
        changed += len(batch)
    return changed

"""Exchange rates (issue 15): entered, changed, confirmed and deleted by
operators, never behind a payout's back.

A payout records the rate it was converted with (R12); the rate of that pair
and day is then fixed: it can be neither changed nor deleted
(`selectors.exchange_rate_in_use`). A rate further than
EXCHANGE_RATE_CONFIRM_ABOVE_PERCENT from the last rate a second operator
confirmed for the pair, or from the latest rate a payout used, or any rate of
a pair with no confirmed rate yet, is stored but waits for a second operator
(issue 27: the day before's rate was the yardstick, and small steps walked
the rate anywhere past four eyes): until another
operator than the one who entered it confirms it, no payout converts with it
(`ExchangeRate.objects.usable()`, read by `bank_details._convert`), and a
payout asking for it waits exactly as when no rate is there.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resellers.models import User

from ..models import ExchangeRate, Payout
from ..selectors import exchange_rate_in_use
from .errors import PayoutError

CONFIRM_PERMISSION = "payouts.confirm_exchange_rate"


def exchange_rate_needs_second_operator(
    *,
    base_currency: str,
    quote_currency: str,
    rate_date: dt.date,
    rate: Decimal,
    exclude: ExchangeRate | None = None,
) -> bool:
    """Whether `rate` must wait for a second operator: it differs by more than
    EXCHANGE_RATE_CONFIRM_ABOVE_PERCENT (exactly that much needs none) from
    the last rate a second operator confirmed for the pair, or from the latest
    rate a payout of the pair was converted with; or the pair has no
    confirmed rate yet. Measured against confirmed rates, not the day
    before's, so that small steps each within the limit cannot walk the rate
    away without a second person (issue 27); rates entered by one operator are
    never a yardstick, whatever their date."""
    pair = ExchangeRate.objects.filter(
        base_currency=base_currency, quote_currency=quote_currency
    )
    if exclude is not None and exclude.pk is not None:
        pair = pair.exclude(pk=exclude.pk)
    confirmed = (
        pair.filter(confirmed_at__isnull=False)
        .order_by("-confirmed_at", "-pk")
        .values_list("rate", flat=True)
        .first()
    )
    if confirmed is None:
        return True
    used = (
        pair.filter(pk__in=Payout.objects.values("converted_with"))
        .order_by("-rate_date")
        .values_list("rate", flat=True)
        .first()
    )
    limit = Decimal(str(settings.EXCHANGE_RATE_CONFIRM_ABOVE_PERCENT))
    return any(
        abs(rate - yardstick) * 100 > limit * yardstick
        for yardstick in (confirmed, used)
        if yardstick is not None
    )


def _clean(
    base_currency: str, quote_currency: str, rate: Decimal | None
) -> tuple[str, str]:
    base, quote = (
        (base_currency or "").strip().upper(),
        (quote_currency or "").strip().upper(),
    )
    errors = {}
    for field, code in (("base_currency", base), ("quote_currency", quote)):
        if len(code) != 3 or not code.isalpha():
            errors[field] = _("Enter a three-letter ISO 4217 currency code.")
    if "quote_currency" not in errors and base == quote:
        errors["quote_currency"] = _(
            "Enter a currency other than the one converted from."
        )
    if rate is None or rate <= 0:
        errors["rate"] = _("Enter a rate above zero.")
    if errors:
        raise PayoutError(
            {
                field: [ValidationError(message, code=PayoutError.Code.INVALID_RATE)]
                for field, message in errors.items()
            }
        )
    return base, quote


def _taken() -> PayoutError:
    return PayoutError(
        _("There is already a rate for this currency pair on this date."),
        code=PayoutError.Code.INVALID_RATE,
        field="rate_date",
    )


def exchange_rate_add(
    *,
    operator: User,
    base_currency: str,
    quote_currency: str,
    rate_date: dt.date,
    rate: Decimal,
) -> ExchangeRate:
    """A new rate, entered by `operator`; it waits for a second operator when
    `exchange_rate_needs_second_operator` says so."""
    base, quote = _clean(base_currency, quote_currency, rate)
    try:
        with transaction.atomic():
            exchange_rate = ExchangeRate(
                base_currency=base,
                quote_currency=quote,
                rate_date=rate_date,
                rate=rate,
                entered_by=operator,
                entered_at=timezone.now(),
                confirmation_required=exchange_rate_needs_second_operator(
                    base_currency=base,
                    quote_currency=quote,
                    rate_date=rate_date,
                    rate=rate,
                ),
            )
            exchange_rate._history_user = operator
            exchange_rate.save()
            return exchange_rate
    except IntegrityError:
        raise _taken() from None


def _lock(exchange_rate: ExchangeRate) -> ExchangeRate:
    try:
        return ExchangeRate.objects.select_for_update().get(pk=exchange_rate.pk)
    except ExchangeRate.DoesNotExist:
        raise PayoutError(
            _("This exchange rate was deleted meanwhile."),
            code=PayoutError.Code.INVALID_RATE,
        ) from None


def _refuse_in_use(locked: ExchangeRate, message: str) -> None:
    # The lock makes this final: a conversion reads the rate under a lock of
    # its own (bank_details._convert), so it waits for this transaction.
    if exchange_rate_in_use(rate=locked):
        raise PayoutError(message % {"rate": locked}, code=PayoutError.Code.RATE_IN_USE)


def exchange_rate_change(
    *,
    exchange_rate: ExchangeRate,
    operator: User,
    base_currency: str,
    quote_currency: str,
    rate_date: dt.date,
    rate: Decimal,
) -> ExchangeRate:
    """Correct a rate no payout used yet. The change is a new entry by
    `operator`: an earlier confirmation no longer counts, and the threshold is
    checked again. Saving it unchanged changes nothing."""
    base, quote = _clean(base_currency, quote_currency, rate)
    try:
        with transaction.atomic():
            locked = _lock(exchange_rate)
            new = (base, quote, rate_date, rate)
            if new == (
                locked.base_currency,
                locked.quote_currency,
                locked.rate_date,
                locked.rate,
            ):
                return locked
            _refuse_in_use(
                locked,
                _(
                    "A payout was converted with the rate %(rate)s: it cannot be "
                    "changed."
                ),
            )
            locked.base_currency, locked.quote_currency = base, quote
            locked.rate_date, locked.rate = rate_date, rate
            locked.entered_by, locked.entered_at = operator, timezone.now()
            locked.confirmed_by, locked.confirmed_at = None, None
            locked.confirmation_required = exchange_rate_needs_second_operator(
                base_currency=base,
                quote_currency=quote,
                rate_date=rate_date,
                rate=rate,
                exclude=locked,
            )
            locked._history_user = operator
            locked.save()
            return locked
    except IntegrityError:
        raise _taken() from None


def exchange_rate_confirm(
    *, exchange_rate: ExchangeRate, operator: User
) -> ExchangeRate:
    """A second operator confirms a rate waiting for one (four eyes): never
    the operator who entered it. From then on payouts may convert with it."""
    if not operator.has_perm(CONFIRM_PERMISSION):
        raise PayoutError(
            _("You may not confirm exchange rates."),
            code=PayoutError.Code.NOT_PERMITTED,
        )
    with transaction.atomic():
        locked = _lock(exchange_rate)
        if not locked.confirmation_required or locked.confirmed_at is not None:
            raise PayoutError(
                _("The rate %(rate)s is not waiting for a second operator.")
                % {"rate": locked},
                code=PayoutError.Code.RATE_NOT_AWAITING,
            )
        if locked.entered_by_id == operator.pk:
            raise PayoutError(
                _("Four eyes: another operator must confirm the rate you entered."),
                code=PayoutError.Code.FOUR_EYES,
            )
        locked.confirmed_by, locked.confirmed_at = operator, timezone.now()
        locked._history_user = operator
        locked.save(update_fields=["confirmed_by", "confirmed_at"])
    return locked


def exchange_rate_delete(*, exchange_rate: ExchangeRate, operator: User) -> None:
    """Delete a rate no payout was converted with (its history row stays)."""
    with transaction.atomic():
        locked = _lock(exchange_rate)
        _refuse_in_use(
            locked,
            _("A payout was converted with the rate %(rate)s: it cannot be deleted."),
        )
        locked._history_user = operator  # the history row says who
        locked.delete()

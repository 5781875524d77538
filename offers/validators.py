"""Field rules shared by the model, the admin form and the publish service."""

import datetime as dt
from functools import cache

from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def currencies_in_use() -> frozenset[str]:
    """ISO 4217 codes legal tender somewhere today (CLDR via Babel).

    Babel also knows withdrawn codes (DEM) and odd ones (KRO): a payment
    cannot be made in those, so they are refused.
    """
    today = dt.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


def currency_is_valid(code: str) -> bool:
    """An ISO 4217 currency code in use, as written (upper case), e.g. "SEK"."""
    return code in currencies_in_use()


def validate_currency(code: str) -> None:
    """Refuse anything but an ISO 4217 code, naming what was given."""
    if not currency_is_valid(code):
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code, such as SEK or EUR."),
            code="invalid_currency",
            params={"code": code},
        )


def offer_date_errors(offer) -> dict[str, list[str]]:
    """Dates out of order, by the field to correct; empty when all are in order.

    Runs on an unsaved offer as well, so missing dates are simply skipped (the
    form reports those as required).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    def out_of_order(first, last) -> bool:
        return bool(first and last and last < first)

    if out_of_order(offer.sale_starts_on, offer.sale_ends_on):
        add("sale_ends_on", _("The sale period cannot end before it starts."))
    if out_of_order(offer.claim_opens_on, offer.claim_closes_on):
        add("claim_closes_on", _("The claim window cannot close before it opens."))
    if out_of_order(offer.excluded_from, offer.excluded_until):
        add(
            "excluded_until",
            _("The excluded program's period cannot end before it starts."),
        )
    return errors


def offer_currency_errors(offer) -> dict[str, list[str]]:
    """Reward and payout currencies that are not ISO 4217 codes."""
    errors: dict[str, list[str]] = {}
    for field, codes in (
        ("reward_currency", [offer.reward_currency] if offer.reward_currency else []),
        ("payout_currencies", list(offer.payout_currencies or [])),
    ):
        for code in codes:
            try:
                validate_currency(code if isinstance(code, str) else repr(code))
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.messages)
    return errors

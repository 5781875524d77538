"""Money, percentages and the one-line reward rule, in the reader's language.

Babel knows each locale's number and currency patterns (CLDR); Django's own
number formatting does not place currency codes.
"""

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .eligibility import period_text
from .models import Offer


def _locale_name() -> str:
    return translation.to_locale(translation.get_language() or "en")


def money(amount: Decimal | int, currency: str) -> str:
    """ "SEK 500" in English, "500 SEK" in Swedish; cents only when there are some."""
    locale = Locale.parse(_locale_name())
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    # The ISO code (¤¤) rather than a symbol: "kr" and "$" are ambiguous.
    pattern = pattern.replace("¤", "¤¤").replace("¤¤#", "¤¤\xa0#")
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(
        amount, currency, format=pattern, locale=locale, currency_digits=False
    )


def amount_text(amount: Decimal | int) -> str:
    """An amount without currency, grouped: "1 234,50" in Swedish, "1,234.50" in
    English; cents only when there are some."""
    amount = Decimal(amount)
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, format=pattern, locale=_locale_name())


def percent(value: Decimal | int) -> str:
    """10 -> "10%" in English, "10 %" in Swedish; 12.5 keeps its decimal."""
    return format_percent(
        Decimal(value) / 100, locale=_locale_name(), decimal_quantization=False
    )


def reward_summary(offer: Offer) -> str:
    """The reward rule in one line, with its cap: "10% of eligible revenue"."""
    value = offer.reward_value
    if offer.reward_basis == Offer.RewardBasis.PERCENT_OF_REVENUE:
        line = _("%(percent)s of eligible revenue") % {"percent": percent(value)}
    elif offer.reward_basis == Offer.RewardBasis.AMOUNT_PER_SEAT:
        line = _("%(amount)s per seat") % {
            "amount": money(value, offer.reward_currency)
        }
    else:
        line = _("%(amount)s per net new customer") % {
            "amount": money(value, offer.reward_currency)
        }
    if offer.reward_cap is not None:
        line = _("%(rule)s, at most %(cap)s per company") % {
            "rule": line,
            "cap": money(offer.reward_cap, offer.reward_currency),
        }
    return line


def _names(items, all_text) -> str:
    names = [str(item) for item in items]
    return ", ".join(names) if names else str(all_text)


def offer_criteria(offer: Offer, *, return_period_days: int) -> list[tuple[str, str]]:
    """Every criterion and payment rule in plain words, as (label, text) rows.

    Reads the prefetched `product_list`, `licence_type_list` and `segment_list`
    (offers.selectors.offer_detail), so it runs no query.
    """
    rows = [
        (
            _("Sale period"),
            _("Sales made from %(start)s to %(end)s, both days included.")
            % {
                "start": date_format(offer.sale_starts_on),
                "end": date_format(offer.sale_ends_on),
            },
        ),
        (
            _("Products"),
            _names(offer.product_list, _("All products")),
        ),
        (
            _("Licence types"),
            _names(offer.licence_type_list, _("All licence types")),
        ),
        (
            _("Customer segments"),
            _names(offer.segment_list, _("All customer segments")),
        ),
        (
            _("Minimum seats"),
            ngettext(
                "At least %(count)s seat per agreement.",
                "At least %(count)s seats per agreement.",
                offer.min_seats_per_agreement,
            )
            % {"count": offer.min_seats_per_agreement}
            if offer.min_seats_per_agreement
            else _("No minimum number of seats."),
        ),
        (
            _("Net new customers"),
            ngettext(
                "At least %(count)s net new customer.",
                "At least %(count)s net new customers.",
                offer.min_net_new_customers,
            )
            % {"count": offer.min_net_new_customers}
            if offer.min_net_new_customers
            else _("No minimum number of new customers."),
        ),
        (
            _("Territories"),
            ", ".join(sorted(str(country.name) for country in offer.territories)),
        ),
        (
            _("Excluded program"),
            _(
                "Companies that were members of %(program)s at any time in the "
                "period %(period)s are not eligible."
            )
            % {
                "program": offer.excluded_program,
                "period": period_text(offer.excluded_from, offer.excluded_until),
            }
            if offer.excluded_program
            else _("None."),
        ),
        (
            _("Claims"),
            _("One claim per company, covering all its eligible sales.")
            if offer.claim_mode == Offer.ClaimMode.ONE_PER_RESELLER
            else _("One claim for each sale (Open agreement number)."),
        ),
        (
            _("Claim window"),
            _("Claims can be filed from %(start)s to %(end)s, both days included.")
            % {
                "start": date_format(offer.claim_opens_on),
                "end": date_format(offer.claim_closes_on),
            },
        ),
        (_("Reward"), reward_summary(offer)),
        (
            _("Payment"),
            ngettext(
                "By wire transfer within %(days)s day of the calculation date "
                "%(date)s, once the return period of %(return_days)s days is over.",
                "By wire transfer within %(days)s days of the calculation date "
                "%(date)s, once the return period of %(return_days)s days is over.",
                offer.payment_term_days,
            )
            % {
                "days": offer.payment_term_days,
                "date": date_format(offer.calculation_date),
                "return_days": return_period_days,
            },
        ),
        (
            _("Payout currencies"),
            ", ".join(offer.payout_currencies),
        ),
    ]
    return [(str(label), str(text)) for label, text in rows]

"""The validation report's checks in words, for a reviewer (issue 28).

The report (claims/validation.py) stores each check as codes and values:
which check, its result, why (`reason_code`) and the values the reason names
(dates, amounts, numbers, names) as data. This module words them when the
report is read, in the reader's language and formats, in the reviewer's words
rather than the reseller's ("the company's country", not "your country").

Reports stored before the codes had a `label` and a `reason` sentence in the
program's language; migration 0018 gave each sentence it recognised its code
and values. A check it did not recognise still reads: its label comes from the
check's code, its reason is shown as it was stored (so is the reward's
explanation of those reports).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from cashback.countries import country_name
from cashback.money import money, percent
from offers.eligibility import OutcomeReason, period_text


class CheckReason(StrEnum):
    """Why a check of the claims engine passed or failed (the criteria it
    shares with the offer page have theirs in `offers.eligibility`)."""

    NOT_IN_LEDGER = "not_in_ledger"
    IN_LEDGER = "in_ledger"
    SOLD_BY_ORG_NUMBER = "sold_by_org_number"
    SOLD_BY_ORG_NUMBER_UNDER_NAME = "sold_by_org_number_under_name"
    SOLD_BY_NAME = "sold_by_name"
    SOLD_BY_ANOTHER_COMPANY = "sold_by_another_company"
    CLAIMED_ELSEWHERE = "claimed_elsewhere"
    ATTEMPTED_BY_ANOTHER_COMPANY = "attempted_by_another_company"
    NOT_CLAIMED_ELSEWHERE = "not_claimed_elsewhere"
    REVENUE_IN_OTHER_CURRENCY = "revenue_in_other_currency"
    NET_NEW_CUSTOMERS = "net_new_customers"
    # How the reward was counted: the parts of its explanation.
    REWARD_PERCENT_OF_REVENUE = "reward_percent_of_revenue"
    REWARD_PER_SEAT = "reward_per_seat"
    REWARD_PER_NEW_CUSTOMER = "reward_per_new_customer"
    REWARD_CAPPED = "reward_capped"
    REWARD_LEFT_OUT = "reward_left_out"


# What a check is about, by its code.
LABELS: dict[str, Promise] = {
    "in_ledger": _("In the agreement ledger"),
    "sold_by": _("Sold by this company"),
    "sale_date": _("Sale date"),
    "product": _("Product"),
    "licence_type": _("Licence type"),
    "segment": _("Customer segment"),
    "seats": _("Seats"),
    "not_claimed_elsewhere": _("Not claimed elsewhere"),
    "currency": _("Revenue currency"),
    "net_new_customers": _("Net new customers"),
    "territory": _("Territory"),
    "excluded_program": _("Excluded program"),
    "filed_in_window": _("Filed inside the claim window"),
}

RESULTS: dict[str, Promise] = {
    "pass": pgettext_lazy("validation check", "passes"),
    "fail": pgettext_lazy("validation check", "fails"),
    "unknown": pgettext_lazy("validation check", "to check"),
}


def _date(value: str) -> str:
    return date_format(dt.date.fromisoformat(value))


def _period(value: list) -> str:
    start, end = (dt.date.fromisoformat(day) if day else None for day in value)
    return period_text(start, end)


def _seats(value: int) -> str:
    return ngettext("%(seats)s seat", "%(seats)s seats", value) % {
        "seats": number_format(value, force_grouping=True)
    }


def _money(value: list) -> str:
    amount, currency = value
    return money(Decimal(amount), currency)


# How each kind of value reads; each takes what `stored` below made of it.
KINDS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "number": lambda value: number_format(value, force_grouping=True),
    "date": _date,
    "period": _period,
    "country": country_name,
    "seats": _seats,
    "money": _money,
    "percent": lambda value: percent(Decimal(value)),
    "list": ", ".join,
}


@dataclass(frozen=True)
class Words:
    """A reason's sentence and the kind of each value it names."""

    text: Promise
    kinds: Mapping[str, str] = field(default_factory=dict)

    def render(self, values: Mapping[str, Any]) -> str:
        if not self.kinds:
            return str(self.text)
        return str(self.text) % {
            name: KINDS[kind](values[name]) for name, kind in self.kinds.items()
        }


R, E = CheckReason, OutcomeReason

WORDS: dict[str, Words] = {
    R.NOT_IN_LEDGER: Words(_("No Open agreement with this number is in the ledger.")),
    R.IN_LEDGER: Words(_("Found in the ledger.")),
    R.SOLD_BY_ORG_NUMBER: Words(
        _("The ledger names the company's organisation number.")
    ),
    R.SOLD_BY_ORG_NUMBER_UNDER_NAME: Words(
        _(
            "The ledger has organisation number %(number)s under the company's "
            "name: check which company sold it."
        ),
        {"number": "text"},
    ),
    R.SOLD_BY_NAME: Words(
        _("The ledger has no organisation number and names the company.")
    ),
    R.SOLD_BY_ANOTHER_COMPANY: Words(
        _("The ledger records this sale for another company.")
    ),
    R.CLAIMED_ELSEWHERE: Words(
        _("Also claimed in %(reference)s."), {"reference": "text"}
    ),
    R.ATTEMPTED_BY_ANOTHER_COMPANY: Words(
        _("Another company also tried to claim this agreement.")
    ),
    R.NOT_CLAIMED_ELSEWHERE: Words(_("No other claim on this offer covers it.")),
    R.REVENUE_IN_OTHER_CURRENCY: Words(
        _(
            "Revenue is in %(currency)s, the reward in %(reward)s: the amount "
            "leaves it out; convert it to adjust the reward."
        ),
        {"currency": "text", "reward": "text"},
    ),
    R.NET_NEW_CUSTOMERS: Words(
        _("%(count)s net new customers on eligible sales; the minimum is %(minimum)s."),
        {"count": "number", "minimum": "number"},
    ),
    R.REWARD_PERCENT_OF_REVENUE: Words(
        _("%(percent)s of eligible revenue %(revenue)s"),
        {"percent": "percent", "revenue": "money"},
    ),
    R.REWARD_PER_SEAT: Words(
        _("%(seats)s eligible seats × %(value)s"),
        {"seats": "number", "value": "money"},
    ),
    R.REWARD_PER_NEW_CUSTOMER: Words(
        _("%(count)s net new customers × %(value)s"),
        {"count": "number", "value": "money"},
    ),
    R.REWARD_CAPPED: Words(
        _(
            "= %(amount)s, capped at %(remaining)s (cap %(cap)s, %(used)s used by "
            "other claims)"
        ),
        {"amount": "money", "remaining": "money", "cap": "money", "used": "money"},
    ),
    R.REWARD_LEFT_OUT: Words(_("(left out: %(numbers)s)"), {"numbers": "list"}),
    E.TERRITORY_OPEN: Words(
        _("The company's country, %(country)s, takes part."), {"country": "country"}
    ),
    E.TERRITORY_CLOSED: Words(
        _("The offer is not open to resellers in %(country)s."),
        {"country": "country"},
    ),
    E.NO_PROGRAM_EXCLUDED: Words(_("No program excluded.")),
    E.EXCLUDED_PROGRAM_MEMBER: Words(
        _(
            "The company was a member of %(program)s (%(membership)s), which "
            "overlaps the excluded period (%(period)s)."
        ),
        {"program": "text", "membership": "period", "period": "period"},
    ),
    E.EXCLUDED_PROGRAM_NOT_MEMBER: Words(
        _("The company was not a member of %(program)s in the excluded period."),
        {"program": "text"},
    ),
    E.WINDOW_NOT_OPEN: Words(
        _("Filed on %(filed_on)s, before claims opened on %(opens_on)s."),
        {"filed_on": "date", "opens_on": "date"},
    ),
    E.WINDOW_CLOSED: Words(
        _("Filed on %(filed_on)s, after claims closed on %(closes_on)s."),
        {"filed_on": "date", "closes_on": "date"},
    ),
    E.WINDOW_OPEN: Words(
        _("Filed on %(filed_on)s; claims could be filed until %(closes_on)s."),
        {"filed_on": "date", "closes_on": "date"},
    ),
    E.SOLD_INSIDE_PERIOD: Words(
        _("Sold on %(date)s, inside the sale period."), {"date": "date"}
    ),
    E.SOLD_OUTSIDE_PERIOD: Words(
        _("Sold on %(date)s, outside the sale period %(start)s – %(end)s."),
        {"date": "date", "start": "date", "end": "date"},
    ),
    E.ELIGIBLE: Words(_("Eligible.")),
    E.NOT_ELIGIBLE: Words(_("Not among the offer's eligible ones.")),
    E.SEATS_MINIMUM: Words(
        _("%(seats)s; the minimum is %(minimum)s."),
        {"seats": "seats", "minimum": "number"},
    ),
    E.SEATS_NO_MINIMUM: Words(_("%(seats)s; no minimum."), {"seats": "seats"}),
}


def stored(value: Any) -> Any:
    """A value as the report stores it in JSON: dates as ISO days, amounts as
    text, pairs and lists as lists."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [stored(item) for item in value]
    return value


def reason_text(reason_code: str, values: Mapping[str, Any]) -> str:
    """The reason in words; a code no longer worded here reads as its code
    rather than breaking the claim's page."""
    words = WORDS.get(reason_code)
    return reason_code if words is None else words.render(values)


def check_in_words(check: Mapping[str, Any]) -> dict[str, str]:
    """One stored check as the reader reads it: label, result and reason."""
    code = check.get("code", "")
    label = LABELS.get(code) or check.get("label", code)
    result = check.get("result", "")
    if "reason_code" in check:
        reason = reason_text(check["reason_code"], check.get("values", {}))
    else:  # stored before the codes, in the program's language
        reason = check.get("reason", "")
    return {
        "code": code,
        "label": str(label),
        "result": result,
        "result_label": str(RESULTS.get(result, result)),
        "reason": reason,
        "agreement": check.get("agreement", ""),
    }


def checks_in_words(report: Mapping[str, Any]) -> list[dict[str, str]]:
    return [check_in_words(check) for check in report.get("checks", [])]


def reward_in_words(report: Mapping[str, Any]) -> str:
    """How the reward was counted, in the reader's language."""
    if "reward_counted" not in report:  # stored before the codes
        return report.get("reward_explanation", "")
    return " ".join(
        reason_text(part["reason_code"], part.get("values", {}))
        for part in report["reward_counted"]
    )

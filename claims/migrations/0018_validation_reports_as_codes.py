"""Stored validation reports as codes and values (issue 28).

Reports were written as sentences in the program's language (English). Each
check whose sentence is one the engine wrote gets its reason code and values
back, so a reviewer reads it in their own language (claims/checks.py); the
values a sentence leaves out come from the claim itself (the report's ledger
lines, the offer's dates, the company's country). A sentence not recognised
(a membership period in words, say) stays as written: claims/checks.py shows
such a check's stored reason. The reward's explanation stays as written.
"""

import re

from django.db import migrations
from django_countries import countries

# Sentences without values, as the engine wrote them, and their reason codes.
PLAIN = {
    "No Open agreement with this number is in the ledger.": "not_in_ledger",
    "Found in the ledger.": "in_ledger",
    "The ledger names your organisation number.": "sold_by_org_number",
    "The ledger names your company.": "sold_by_name",
    "The ledger records this sale for another company.": "sold_by_another_company",
    "Another company also tried to claim this agreement.": (
        "attempted_by_another_company"
    ),
    "No other claim on this offer covers it.": "not_claimed_elsewhere",
    "No program excluded.": "no_program_excluded",
    "Eligible.": "eligible",
    "Not among the offer's eligible ones.": "not_eligible",
}

# Sentences with values: the pattern and its reason code.
PATTERNS = [
    (
        r"The ledger has organisation number (?P<number>.+) under your company "
        r"name; a reviewer checks it\.",
        "sold_by_org_number_under_name",
    ),
    (r"Also claimed in (?P<reference>.+)\.", "claimed_elsewhere"),
    (
        r"Revenue is in (?P<currency>[A-Z]{3}), the reward in (?P<reward>[A-Z]{3}); "
        r"it is left out of the amount for a reviewer to convert\.",
        "revenue_in_other_currency",
    ),
    (
        r"(?P<count>\d+) net new customers on eligible sales; the minimum is "
        r"(?P<minimum>\d+)\.",
        "net_new_customers",
    ),
    (r"Your country takes part\.", "territory_open"),
    (
        r"The offer is not open to resellers in (?P<country_name>.+)\.",
        "territory_closed",
    ),
    (
        r"Your company was not a member of (?P<program>.+) in the excluded period\.",
        "excluded_program_not_member",
    ),
    (r"Filed on (?P<filed_on>\d{4}-\d\d-\d\d)\. Claims open on .*", "window_not_open"),
    (
        r"Filed on (?P<filed_on>\d{4}-\d\d-\d\d)\. Claims closed after .*",
        "window_closed",
    ),
    (
        r"Filed on (?P<filed_on>\d{4}-\d\d-\d\d)\. Claims can be filed until .*",
        "window_open",
    ),
    (r"Sold on .*, inside the sale period\.", "sold_inside_period"),
    (r"Sold on .*, outside the sale period .*", "sold_outside_period"),
    (r"(?P<seats>\d+) seats?; the minimum is (?P<minimum>\d+)\.", "seats_minimum"),
    (r"(?P<seats>\d+) seats?; no minimum\.", "seats_no_minimum"),
]
NUMBERS = {"count", "minimum", "seats"}


def check_as_codes(check: dict, claim) -> dict | None:
    """The check with its reason code and values, or None if not recognised."""
    reason = check.get("reason", "")
    code, values = PLAIN.get(reason), {}
    if code is None:
        for pattern, pattern_code in PATTERNS:
            match = re.fullmatch(pattern, reason, flags=re.S)
            if match:
                code, values = pattern_code, match.groupdict()
                break
        else:
            return None
    values = {
        name: int(value) if name in NUMBERS else value for name, value in values.items()
    }
    offer = claim.offer
    if code == "seats_no_minimum":
        values["minimum"] = 0  # no minimum is a minimum of none
    if code == "territory_open":
        values["country"] = str(claim.reseller.country)
    if "country_name" in values:
        values["country"] = countries.by_name(values.pop("country_name"))
        if not values["country"]:
            return None
    if code == "window_not_open":
        values["opens_on"] = offer.claim_opens_on.isoformat()
    if code in {"window_closed", "window_open"}:
        values["closes_on"] = offer.claim_closes_on.isoformat()
    if code in {"sold_inside_period", "sold_outside_period"}:
        sold_on = {
            line["agreement_number"]: line.get("sale_date")
            for line in claim.validation_report.get("lines", [])
        }.get(check.get("agreement"))
        if not sold_on:
            return None
        values.update(
            date=sold_on,
            start=offer.sale_starts_on.isoformat(),
            end=offer.sale_ends_on.isoformat(),
        )
    return {
        "code": check.get("code", ""),
        "result": check.get("result", ""),
        "reason_code": code,
        "values": values,
        "agreement": check.get("agreement", ""),
    }


def report_as_codes(claim) -> bool:
    """Convert the claim's report in place; True if any check changed."""
    changed = False
    checks = []
    for check in claim.validation_report.get("checks", []):
        converted = None if "reason_code" in check else check_as_codes(check, claim)
        checks.append(converted or check)
        changed = changed or converted is not None
    claim.validation_report["checks"] = checks
    return changed


def reports_to_codes(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    claims = (
        Claim.objects.exclude(validation_report={})
        .select_related("offer", "reseller")
        .only(
            "validation_report",
            "offer__claim_opens_on",
            "offer__claim_closes_on",
            "offer__sale_starts_on",
            "offer__sale_ends_on",
            "reseller__country",
        )
        .order_by("pk")
    )
    changed = []
    for claim in claims.iterator(chunk_size=1000):
        if report_as_codes(claim):
            changed.append(claim)
        if len(changed) >= 1000:
            Claim.objects.bulk_update(changed, ["validation_report"])
            changed = []
    Claim.objects.bulk_update(changed, ["validation_report"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0017_claimevent_validation_outcome"),
    ]

    operations = [migrations.RunPython(reports_to_codes, migrations.RunPython.noop)]

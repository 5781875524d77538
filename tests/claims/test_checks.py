"""The validation report in the reader's words (issue 28): stored as codes and
values, worded for a reviewer in the reviewer's language when read."""

import datetime as dt
import re

import pytest
from django.utils import translation
from django.utils.formats import date_format

from claims.checks import (
    KINDS,
    LABELS,
    RESULTS,
    WORDS,
    CheckReason,
    check_in_words,
    checks_in_words,
    reward_in_words,
)
from claims.services import claim_validate
from offers.eligibility import OutcomeReason
from tests.claims.factories import ClaimFactory

# One stored value of each kind, as the report keeps it in JSON.
SAMPLES = {
    "text": "556703-7485",
    "number": 1234,
    "date": "2026-03-05",
    "period": ["2026-01-01", "2026-06-30"],
    "country": "NO",
    "seats": 12,
    "money": ["2500.50", "SEK"],
    "percent": "12.5",
    "list": ["10000001", "10000002"],
}

EVERY_REASON = [*CheckReason, *OutcomeReason]


def in_swedish(text) -> str:
    with translation.override("sv"):
        return str(text)


def in_english(text) -> str:
    with translation.override("en"):
        return str(text)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def test_every_kind_of_value_has_a_sample():
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("code", EVERY_REASON)
def test_every_reason_has_words_naming_each_of_its_values(code):
    """A reason added to the engine without words here fails this test."""
    words = WORDS[code]
    assert placeholders(str(words.text)) == set(words.kinds)
    assert set(words.kinds.values()) <= set(KINDS)


@pytest.mark.parametrize("code", EVERY_REASON)
@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_reason_reads_in_each_language_with_its_values(code, language):
    words = WORDS[code]
    values = {name: SAMPLES[kind] for name, kind in words.kinds.items()}
    with translation.override(language):
        text = words.render(values)
        formatted = [KINDS[kind](SAMPLES[kind]) for kind in words.kinds.values()]
    if language == "sv":
        assert in_swedish(words.text) != in_english(words.text), "no Swedish entry"
    for value in formatted:
        assert value in text
    assert "%(" not in text


def test_values_read_in_the_readers_formats():
    """Dates by Django's date format of the reader's language, countries by
    their name in it, amounts as the reader writes them."""
    values = {"filed_on": "2026-03-05", "closes_on": "2026-03-31"}
    territory = {"country": "NO"}
    with translation.override("sv"):
        swedish = WORDS[OutcomeReason.WINDOW_OPEN].render(values)
        swedish_date = date_format(dt.date(2026, 3, 5))
        country_sv = WORDS[OutcomeReason.TERRITORY_OPEN].render(territory)
    with translation.override("en"):
        english = WORDS[OutcomeReason.WINDOW_OPEN].render(values)
        english_date = date_format(dt.date(2026, 3, 5))
        country_en = WORDS[OutcomeReason.TERRITORY_OPEN].render(territory)
    assert swedish_date != english_date
    assert swedish_date in swedish and swedish.startswith("Inskickat")
    assert english_date in english and english.startswith("Filed on")
    assert "Norge" in country_sv and "Norway" in country_en


@pytest.mark.parametrize("code", sorted(LABELS))
def test_every_check_label_and_result_has_a_swedish_entry(code):
    assert in_swedish(LABELS[code]) != in_english(LABELS[code])
    for result in RESULTS.values():
        assert in_swedish(result) != in_english(result)


@pytest.mark.django_db
@pytest.mark.usefixtures("in_window")
def test_the_stored_report_holds_codes_and_values_not_sentences(reseller, offer, sale):
    claim = ClaimFactory(
        reseller=reseller, offer=offer, agreement_numbers=[sale.agreement_number]
    )
    claim_validate(claim_id=claim.pk)
    claim.refresh_from_db()
    report = claim.validation_report
    for check in report["checks"]:
        assert set(check) == {"code", "result", "reason_code", "values", "agreement"}
        assert check["reason_code"] in WORDS
    assert "reward_explanation" not in report
    window = next(c for c in report["checks"] if c["code"] == "filed_in_window")
    assert window["values"]["filed_on"] == "2026-11-26"
    with translation.override("sv"):
        swedish = checks_in_words(report)
        reward = reward_in_words(report)
    with translation.override("en"):
        english = checks_in_words(report)
    assert [c["label"] for c in swedish] != [c["label"] for c in english]
    in_window_sv = next(c for c in swedish if c["code"] == "filed_in_window")
    assert in_window_sv["label"] == "Inskickat inom anmälningsperioden"
    assert in_window_sv["result_label"] == "godkänd"
    with translation.override("sv"):
        assert date_format(dt.date(2026, 11, 26)) in in_window_sv["reason"]
    assert "av godkänd intäkt" in reward


def test_a_report_stored_before_the_codes_still_reads():
    """Its label comes from the code; its reason reads as it was stored."""
    old = {
        "code": "sold_by",
        "label": "Sold by this company",
        "result": "pass",
        "reason": "The ledger names your company.",
        "agreement": "10000001",
    }
    with translation.override("sv"):
        check = check_in_words(old)
        reward = reward_in_words({"reward_explanation": "10% of eligible revenue"})
    assert check["label"] == "Såld av det här företaget"
    assert check["reason"] == "The ledger names your company."
    assert check["agreement"] == "10000001"
    assert reward == "10% of eligible revenue"


# The engine's English sentences before the codes (for the migration's test).
OLD_SENTENCES = {
    "not_in_ledger": lambda v: "No Open agreement with this number is in the ledger.",
    "in_ledger": lambda v: "Found in the ledger.",
    "sold_by_org_number": lambda v: "The ledger names your organisation number.",
    "sold_by_name": lambda v: "The ledger names your company.",
    "sold_inside_period": lambda v: (
        f"Sold on {date_format(dt.date.fromisoformat(v['date']))}, inside the sale "
        "period."
    ),
    "eligible": lambda v: "Eligible.",
    "seats_no_minimum": lambda v: f"{v['seats']} seats; no minimum.",
    "seats_minimum": lambda v: f"{v['seats']} seats; the minimum is {v['minimum']}.",
    "not_claimed_elsewhere": lambda v: "No other claim on this offer covers it.",
    "net_new_customers": lambda v: (
        f"{v['count']} net new customers on eligible sales; the minimum is "
        f"{v['minimum']}."
    ),
    "territory_open": lambda v: "Your country takes part.",
    "no_program_excluded": lambda v: "No program excluded.",
    "window_open": lambda v: (
        f"Filed on {v['filed_on']}. Claims can be filed until "
        f"{date_format(dt.date.fromisoformat(v['closes_on']))}."
    ),
}


@pytest.mark.django_db
@pytest.mark.usefixtures("in_window")
def test_the_migration_turns_a_report_in_sentences_into_the_same_codes(
    reseller, offer, sale
):
    """A report stored as English sentences gets back the codes and values
    the engine now stores for the same claim; a sentence it does not know
    stays as written."""
    from importlib import import_module

    from claims.models import Claim
    from claims.validation import claim_report

    report_as_codes = import_module(
        "claims.migrations.0018_validation_reports_as_codes"
    ).report_as_codes
    claim = ClaimFactory(
        reseller=reseller,
        offer=offer,
        agreement_numbers=[sale.agreement_number, "99999999"],
    )
    report = claim_report(claim).as_json()
    with translation.override("en"):
        old_checks = [
            {
                "code": check["code"],
                "label": "whatever it read",
                "result": check["result"],
                "reason": OLD_SENTENCES[check["reason_code"]](check["values"]),
                "agreement": check["agreement"],
            }
            for check in report["checks"]
        ]
    unknown = {**old_checks[0], "reason": "A sentence from long ago."}
    claim.validation_report = {**report, "checks": [*old_checks, unknown]}
    claim.save(update_fields=["validation_report"])
    claim = Claim.objects.select_related("offer", "reseller").get(pk=claim.pk)

    assert report_as_codes(claim)
    assert claim.validation_report["checks"] == [*report["checks"], unknown]


@pytest.mark.parametrize(
    ("sentence", "reason_code", "values"),
    [
        (
            "The ledger has organisation number 556703-7485 under your company "
            "name; a reviewer checks it.",
            "sold_by_org_number_under_name",
            {"number": "556703-7485"},
        ),
        (
            "Also claimed in CB-2026-000007.",
            "claimed_elsewhere",
            {"reference": "CB-2026-000007"},
        ),
        (
            "Revenue is in EUR, the reward in SEK; it is left out of the amount for "
            "a reviewer to convert.",
            "revenue_in_other_currency",
            {"currency": "EUR", "reward": "SEK"},
        ),
        (
            "The offer is not open to resellers in Norway.",
            "territory_closed",
            {"country": "NO"},
        ),
        (
            "Your company was not a member of Partner Gold in the excluded period.",
            "excluded_program_not_member",
            {"program": "Partner Gold"},
        ),
        (
            "Filed on 2027-01-05. Claims closed after Dec. 31, 2026.",
            "window_closed",
            {"filed_on": "2027-01-05", "closes_on": "2026-12-31"},
        ),
        (
            "Filed on 2026-09-05. Claims open on Oct. 1, 2026.",
            "window_not_open",
            {"filed_on": "2026-09-05", "opens_on": "2026-10-01"},
        ),
        (
            "Sold on Jan. 3, 2026, outside the sale period Feb. 1, 2026 – "
            "March 31, 2026.",
            "sold_outside_period",
            {"date": "2026-01-03", "start": "2026-02-01", "end": "2026-03-31"},
        ),
        ("3 seats; the minimum is 5.", "seats_minimum", {"seats": 3, "minimum": 5}),
    ],
)
def test_the_migration_reads_each_sentence_with_values(sentence, reason_code, values):
    from importlib import import_module
    from types import SimpleNamespace

    check_as_codes = import_module(
        "claims.migrations.0018_validation_reports_as_codes"
    ).check_as_codes
    claim = SimpleNamespace(
        offer=SimpleNamespace(
            claim_opens_on=dt.date(2026, 10, 1),
            claim_closes_on=dt.date(2026, 12, 31),
            sale_starts_on=dt.date(2026, 2, 1),
            sale_ends_on=dt.date(2026, 3, 31),
        ),
        reseller=SimpleNamespace(country="SE"),
        validation_report={
            "lines": [{"agreement_number": "10000001", "sale_date": "2026-01-03"}]
        },
    )
    old = {"code": "x", "result": "fail", "reason": sentence, "agreement": "10000001"}
    converted = check_as_codes(old, claim)
    assert converted["reason_code"] == reason_code
    assert converted["values"] == values
    assert WORDS[reason_code].render(converted["values"])


def test_a_reason_no_longer_worded_reads_as_its_code():
    check = {"code": "sold_by", "result": "fail", "reason_code": "gone", "values": {}}
    assert check_in_words(check)["reason"] == "gone"

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

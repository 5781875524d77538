"""The validation report, check by check, and the reward it computes."""

import datetime as dt
from decimal import Decimal

import pytest

from claims.models import Claim
from claims.services import claim_validate
from claims.validation import claim_report
from offers.models import Offer
from resellers.identifiers import company_name_key
from tests.claims.factories import (
    ClaimFactory,
    DuplicateAttemptFactory,
    OpenAgreementFactory,
)
from tests.offers.factories import (
    CustomerSegmentFactory,
    LicenceTypeFactory,
    OfferFactory,
    ProductFactory,
)
from tests.resellers.factories import ProgramMembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_window")]


def claim_for(reseller, offer, *numbers, **kwargs):
    return ClaimFactory(
        reseller=reseller, offer=offer, agreement_numbers=list(numbers), **kwargs
    )


def result(report, code, agreement=""):
    return next(
        c.result for c in report.checks if c.code == code and c.agreement == agreement
    )


def test_an_eligible_claim_passes_everything(reseller, offer, sale):
    report = claim_report(claim_for(reseller, offer, sale.agreement_number))
    assert report.outcome == "pass", [c for c in report.checks if c.result != "pass"]
    assert report.reward_amount == Decimal("1000.00")  # 10 % of 10 000


def test_unknown_number_fails_in_ledger(reseller, offer):
    report = claim_report(claim_for(reseller, offer, "99999999"))
    assert result(report, "in_ledger", "99999999") == "fail"
    assert report.outcome == "fail" and report.reward_amount == 0


def test_sold_by_matches_org_number_then_name(reseller, offer):
    """Organisation number first; without one, the normalised name."""
    by_number = OpenAgreementFactory(
        reseller_org_number="556703-7485", reseller_name="Whatever"
    )
    by_name = OpenAgreementFactory(
        reseller_org_number="", reseller_name="NORDLICENS, AB"
    )
    other = OpenAgreementFactory(reseller_org_number="5560000001")
    report = claim_report(
        claim_for(
            reseller,
            offer,
            by_number.agreement_number,
            by_name.agreement_number,
            other.agreement_number,
        )
    )
    assert result(report, "sold_by", by_number.agreement_number) == "pass"
    assert result(report, "sold_by", by_name.agreement_number) == "pass"
    assert result(report, "sold_by", other.agreement_number) == "fail"
    assert company_name_key("Nordlicens AB") == company_name_key("nordlicens ab.")


def test_sale_outside_the_period_fails(reseller, offer):
    row = OpenAgreementFactory(
        reseller_org_number=reseller.org_number, sale_date=dt.date(2026, 6, 30)
    )
    report = claim_report(claim_for(reseller, offer, row.agreement_number))
    assert result(report, "sale_date", row.agreement_number) == "fail"
    assert report.reward_amount == 0


def test_product_licence_and_segment_must_be_eligible(reseller):
    offer = OfferFactory()
    offer.products.add(ProductFactory(sku="ONLY"))
    offer.licence_types.add(LicenceTypeFactory(code="OPEN_VALUE", name="Open Value"))
    offer.segments.add(CustomerSegmentFactory(code="EDU", name="Education"))
    row = OpenAgreementFactory(reseller_org_number=reseller.org_number)
    report = claim_report(claim_for(reseller, offer, row.agreement_number))
    for code in ("product", "licence_type", "segment"):
        assert result(report, code, row.agreement_number) == "fail"


def test_seats_below_the_minimum_fail(reseller):
    offer = OfferFactory(min_seats_per_agreement=11)
    row = OpenAgreementFactory(reseller_org_number=reseller.org_number, seats=10)
    report = claim_report(claim_for(reseller, offer, row.agreement_number))
    assert result(report, "seats", row.agreement_number) == "fail"


def test_net_new_customers_counted_on_eligible_lines(reseller):
    offer = OfferFactory(min_net_new_customers=2)
    new = OpenAgreementFactory(reseller_org_number=reseller.org_number)
    same_customer = OpenAgreementFactory(
        reseller_org_number=reseller.org_number, customer_id=new.customer_id
    )
    report = claim_report(
        claim_for(reseller, offer, new.agreement_number, same_customer.agreement_number)
    )
    assert result(report, "net_new_customers") == "fail"
    third = OpenAgreementFactory(reseller_org_number=reseller.org_number)
    report = claim_report(
        claim_for(
            reseller,
            OfferFactory(min_net_new_customers=2),
            new.agreement_number,
            third.agreement_number,
        )
    )
    assert result(report, "net_new_customers") == "pass"


def test_territory_and_excluded_program(reseller, sale):
    offer = OfferFactory(
        territories=["NO"],
        excluded_program="MRI",
        excluded_from=dt.date(2026, 1, 1),
        excluded_until=dt.date(2026, 12, 31),
    )
    ProgramMembershipFactory(reseller=reseller, start_date=dt.date(2026, 5, 1))
    report = claim_report(claim_for(reseller, offer, sale.agreement_number))
    assert result(report, "territory") == "fail"
    assert result(report, "excluded_program") == "fail"


def test_filed_outside_the_window_fails(reseller, offer, sale, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+01:00", tick=False)
    claim = claim_for(reseller, offer, sale.agreement_number)
    assert result(claim_report(claim), "filed_in_window") == "fail"


def test_claimed_elsewhere_and_duplicate_attempts(reseller, offer, sale):
    """Another company's try leaves the check unknown for the reviewer."""
    claim = claim_for(reseller, offer, sale.agreement_number)
    assert result(
        claim_report(claim), "not_claimed_elsewhere", sale.agreement_number
    ) == ("pass")
    DuplicateAttemptFactory(
        existing_claim=claim, agreement_number=sale.agreement_number
    )
    report = claim_report(claim)
    assert result(report, "not_claimed_elsewhere", sale.agreement_number) == "unknown"
    assert report.outcome == "unknown"


def test_reward_per_seat_and_per_new_customer_with_cap(reseller, sale):
    per_seat = OfferFactory(
        reward_basis=Offer.RewardBasis.AMOUNT_PER_SEAT, reward_value=Decimal("15")
    )
    assert claim_report(
        claim_for(reseller, per_seat, sale.agreement_number)
    ).reward_amount == Decimal("150.00")
    per_customer = OfferFactory(
        reward_basis=Offer.RewardBasis.AMOUNT_PER_NEW_CUSTOMER,
        reward_value=Decimal("500"),
        reward_cap=Decimal("300"),
    )
    report = claim_report(claim_for(reseller, per_customer, sale.agreement_number))
    assert report.reward_amount == Decimal("300")
    assert "capped" in report.reward_explanation


def test_cap_counts_the_companys_other_claims(reseller):
    offer = OfferFactory(
        claim_mode=Offer.ClaimMode.ONE_PER_SALE, reward_cap=Decimal("1500")
    )
    rows = [
        OpenAgreementFactory(reseller_org_number=reseller.org_number) for _ in range(2)
    ]
    claim_for(reseller, offer, rows[0].agreement_number, reward_amount=Decimal("1000"))
    report = claim_report(claim_for(reseller, offer, rows[1].agreement_number))
    assert report.reward_amount == Decimal("500")


def test_revenue_in_another_currency_is_left_out_as_unknown(reseller, offer):
    row = OpenAgreementFactory(reseller_org_number=reseller.org_number, currency="EUR")
    report = claim_report(claim_for(reseller, offer, row.agreement_number))
    assert result(report, "currency", row.agreement_number) == "unknown"
    assert report.reward_amount == 0


def test_validate_stores_report_outcome_and_amount(reseller, offer, sale):
    claim = claim_for(reseller, offer, sale.agreement_number)
    claim_validate(claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.validation_outcome == Claim.ValidationOutcome.PASS
    assert claim.reward_amount == Decimal("1000.00")
    assert claim.validation_report["checks"]
    assert claim.events.get().kind == "validated"


def test_the_report_runs_a_fixed_number_of_queries(
    reseller, offer, django_assert_max_num_queries
):
    """Bounded whatever the number of agreements."""
    rows = [
        OpenAgreementFactory(reseller_org_number=reseller.org_number) for _ in range(30)
    ]
    claim = claim_for(reseller, offer, *(r.agreement_number for r in rows))
    claim = Claim.objects.select_related("offer", "reseller").get(pk=claim.pk)
    with django_assert_max_num_queries(12):
        report = claim_report(claim)
    assert len(report.lines) == 30


def test_lost_validations_are_swept_from_beat(time_machine):
    """A claim whose validation task never ran is validated by the periodic sweep."""
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from claims.tasks import claims_validate_pending

    import_module("cashback.migrations.0004_validate_pending_schedule").create_schedule(
        apps, None
    )
    assert PeriodicTask.objects.get(task="claims.validate_pending").enabled
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    lost = ClaimFactory()
    assert lost.validation_outcome == Claim.ValidationOutcome.PENDING
    time_machine.move_to("2026-11-26 10:01:00+00:00", tick=False)
    assert claims_validate_pending() == 0  # its own task may still be on the way
    time_machine.move_to("2026-11-26 10:05:00+00:00", tick=False)
    assert claims_validate_pending() == 1
    lost.refresh_from_db()
    assert lost.validation_outcome != Claim.ValidationOutcome.PENDING


def test_a_validation_event_written_as_words_gets_its_outcome_code():
    """The migration reads the outcome's words in either language off an
    older event and keeps the note after them; other messages stay."""
    from importlib import import_module

    outcome_of = import_module(
        "claims.migrations.0017_claimevent_validation_outcome"
    ).outcome_of
    assert outcome_of("Some checks fail") == ("fail", "")
    assert outcome_of(
        "Alla kontroller godkända Validated again after a ledger import."
    ) == ("pass", "Validated again after a ledger import.")
    assert outcome_of("Some checks failing") == ("", "Some checks failing")

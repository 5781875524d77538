"""Filing a claim: normalised numbers, one claim per rule, refusals store nothing."""

import datetime as dt
import re

import pytest
from django.core import mail

from claims.models import Claim, ClaimAgreement, DuplicateAttempt
from claims.numbers import agreement_number_normalize, agreement_numbers_split
from claims.services import ClaimError, claim_file, claim_withdraw
from offers.models import Offer
from tests.offers.factories import OfferFactory, TermsFactory
from tests.resellers.factories import (
    ProgramMembershipFactory,
    ResellerFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_window")]


def file(reseller, offer, user, numbers="87000001", accepted=True, **kwargs):
    return claim_file(
        reseller=reseller,
        offer=offer,
        user=user,
        agreement_numbers=numbers,
        accepted_terms=accepted,
        ip="192.0.2.7",
        **kwargs,
    )


def codes(error: ClaimError, field: str = "__all__") -> list[str]:
    return [e.code for e in error.error_dict.get(field, [])]


def test_numbers_are_normalised_for_spaces_dashes_and_case():
    """`v-1234 5678` and `V12345678` are the same number."""
    assert agreement_number_normalize(" v-1234 5678 ") == "V12345678"
    assert agreement_numbers_split("1234-5678\n87654321, 11112222;") == [
        "1234-5678",
        "87654321",
        "11112222",
    ]


def test_a_claim_is_filed_with_terms_reference_event_and_email(
    reseller, user, offer, django_capture_on_commit_callbacks
):
    """Filing stores the numbers, terms version, time, user, IP and a FILED event."""
    with django_capture_on_commit_callbacks(execute=True):
        claim = file(reseller, offer, user, numbers="8700-0001\n87 000 002, 87000001")
    assert re.fullmatch(r"CB-2026-\d{6}", claim.reference)
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.terms == offer.terms.latest()
    assert claim.terms_accepted_ip == "192.0.2.7"
    assert claim.submitted_by == user
    assert sorted(claim.agreements.values_list("agreement_number", flat=True)) == [
        "87000001",
        "87000002",
    ]
    assert claim.events.first().kind == "filed"
    claim.refresh_from_db()
    assert claim.validation_outcome != Claim.ValidationOutcome.PENDING  # task ran
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert claim.reference in mail.outbox[0].subject


def test_references_carry_the_year_and_count_up(reseller, user):
    """Each claim gets the year of filing and a higher number than the one
    before (from a sequence: a refused filing may leave a gap)."""
    first = file(reseller, OfferFactory(), user, numbers="87000001")
    second = file(reseller, OfferFactory(), user, numbers="87000002")
    numbers = []
    for claim in (first, second):
        match = re.fullmatch(r"CB-2026-(\d{6})", claim.reference)
        assert match, claim.reference
        numbers.append(int(match[1]))
    assert numbers[0] < numbers[1]


def test_each_bad_number_is_named_and_nothing_is_stored(reseller, user, offer):
    """Shape: letters and digits, 7 to 15 characters; each bad one is named."""
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user, numbers="123, 87000001, ABC!DEFGH")
    messages = refused.value.message_dict["agreement_numbers"]
    assert len(messages) == 2
    assert "“123”" in messages[0] and "ABC!DEFGH" in messages[1]
    assert not Claim.objects.exists()


def test_terms_must_be_accepted(reseller, user, offer):
    """Without the box ticked the claim is refused on that field."""
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user, accepted=False)
    assert codes(refused.value, "accepted_terms") == ["terms_not_accepted"]
    assert not Claim.objects.exists()


def test_changed_terms_are_refused(reseller, user, offer):
    """A form showing an older terms version cannot accept the newer one."""
    shown = offer.terms.latest().version
    TermsFactory(offer=offer, version=shown + 1)
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user, terms_version=shown)
    assert codes(refused.value, "accepted_terms") == ["terms_changed"]


@pytest.mark.parametrize(
    "moment", ["2026-08-31 12:00:00+02:00", "2027-02-01 00:30:00+01:00"]
)
def test_outside_the_claim_window_is_refused(
    reseller, user, offer, time_machine, moment
):
    """Before the window opens and after its last day (Stockholm time) (R6)."""
    offer.terms.update(published_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    time_machine.move_to(moment, tick=False)
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user)
    assert codes(refused.value) == ["claim_window"]
    assert not Claim.objects.exists()


def test_the_last_day_of_the_window_is_inside(reseller, user, offer, time_machine):
    """31 January 23:30 in Stockholm is still the last day."""
    time_machine.move_to("2027-01-31 23:30:00+01:00", tick=False)
    assert file(reseller, offer, user).pk


def test_second_claim_in_one_claim_mode_is_refused(reseller, user, offer):
    """One claim per company per offer (R7), naming the first one."""
    first = file(reseller, offer, user, numbers="87000001")
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, UserFactory(reseller=reseller), numbers="87000002")
    assert codes(refused.value) == ["existing_claim"]
    assert first.reference in refused.value.message_dict["__all__"][0]
    assert Claim.objects.count() == 1


def test_after_a_withdrawal_the_company_can_file_again(reseller, user, offer):
    """Withdrawing frees the offer and the numbers."""
    first = file(reseller, offer, user, numbers="87000001")
    claim_withdraw(claim=first, user=user)
    second = file(reseller, offer, user, numbers="87000001")
    assert second.reference != first.reference


def test_per_sale_mode_takes_one_number(reseller, user):
    """One claim per sale: two numbers are refused; two claims are fine."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user, numbers="87000001, 87000002")
    assert codes(refused.value, "agreement_numbers") == ["one_per_sale"]
    file(reseller, offer, user, numbers="87000001")
    file(reseller, offer, user, numbers="87000002")
    assert Claim.objects.count() == 2


def test_own_number_claimed_twice_names_the_claim(reseller, user):
    """By this company: "already claimed in CB-..."."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    first = file(reseller, offer, user, numbers="87000001")
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user, numbers="8700-0001")
    assert codes(refused.value, "agreement_numbers") == ["already_claimed"]
    assert first.reference in refused.value.message_dict["agreement_numbers"][0]
    assert not DuplicateAttempt.objects.exists()


def test_another_companys_number_is_refused_neutrally_and_recorded(reseller, user):
    """By another company: no reference shown, and the attempt is kept (R7)."""
    offer = OfferFactory()
    first = file(reseller, offer, user, numbers="87000001")
    other = ResellerFactory()
    other_user = UserFactory(reseller=other)
    with pytest.raises(ClaimError) as refused:
        file(other, offer, other_user, numbers="87000001, 87000009")
    message = refused.value.message_dict["agreement_numbers"][0]
    assert codes(refused.value, "agreement_numbers") == ["claimed_by_other"]
    assert first.reference not in message
    attempt = DuplicateAttempt.objects.get()
    assert (attempt.reseller, attempt.user, attempt.existing_claim) == (
        other,
        other_user,
        first,
    )
    assert Claim.objects.count() == 1
    assert not ClaimAgreement.objects.filter(agreement_number="87000009").exists()


def test_the_same_number_on_another_offer_is_fine(reseller, user):
    """An agreement number is once per offer, not once overall."""
    file(reseller, OfferFactory(), user, numbers="87000001")
    other_user = UserFactory()
    file(other_user.reseller, OfferFactory(), other_user, numbers="87000001")
    assert ClaimAgreement.objects.count() == 2


def test_unverified_user_is_refused(reseller, offer):
    """A user whose address is not verified cannot file."""
    user = UserFactory(reseller=reseller, verified=False)
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user)
    assert codes(refused.value) == ["unverified"]


def test_a_user_of_another_company_is_refused(reseller, offer):
    """Nobody files for a company they do not belong to."""
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, UserFactory())
    assert codes(refused.value) == ["unverified"]


def test_reseller_outside_the_territory_is_refused(user, reseller):
    """Territory (R5)."""
    offer = OfferFactory(territories=["NO"])
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user)
    assert codes(refused.value) == ["territory"]


def test_member_of_the_excluded_program_is_refused(user, reseller):
    """Excluded program membership overlapping its period (R5)."""
    offer = OfferFactory(
        excluded_program="MRI",
        excluded_from=dt.date(2026, 7, 1),
        excluded_until=dt.date(2026, 12, 31),
    )
    ProgramMembershipFactory(
        reseller=reseller, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 8, 1)
    )
    with pytest.raises(ClaimError) as refused:
        file(reseller, offer, user)
    assert codes(refused.value) == ["excluded_program"]


def test_unpublished_offer_is_refused(reseller, user):
    """Drafts cannot be claimed."""
    with pytest.raises(ClaimError) as refused:
        file(reseller, OfferFactory(status=Offer.Status.DRAFT), user)
    assert codes(refused.value) == ["not_published"]


def test_constraint_violation_becomes_a_clear_refusal(reseller, user, offer):
    """Whether a number is already claimed is left to the unique constraint
    when nothing else is wrong (issue 33: one read fewer per filing), as it is
    in a race: its error is turned into the same refusal, not a 500, the
    attempt is recorded for reviewers and nothing else is stored."""
    first = file(reseller, offer, user, numbers="87000001")
    other_user = UserFactory()
    with pytest.raises(ClaimError) as refused:
        file(other_user.reseller, offer, other_user, numbers="87000001")
    assert codes(refused.value, "agreement_numbers") == ["claimed_by_other"]
    assert list(Claim.objects.all()) == [first]
    attempt = DuplicateAttempt.objects.get()
    assert (attempt.reseller, attempt.existing_claim) == (other_user.reseller, first)

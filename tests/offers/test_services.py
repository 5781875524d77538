"""Publishing offers and their terms versions (R8): the checks, one by one."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cashback.errors import PortalError
from offers.errors import OfferError
from offers.models import Offer, OfferEvent, Terms
from offers.services import (
    offer_archive,
    offer_publish,
    offer_publish_errors,
    terms_publish,
)
from tests.offers.factories import OfferFactory
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    """A complete draft: publishing it succeeds unless a test breaks one thing."""
    offer = OfferFactory(status=Offer.Status.DRAFT)
    return offer


def publish_errors(offer) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        offer_publish(offer=offer, actor=None)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT
    return caught.value.message_dict


def test_a_complete_draft_is_published(draft):
    """All checks pass: the offer is published and its history records it."""
    offer_publish(offer=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == Offer.Status.PUBLISHED
    assert draft.history.first().status == Offer.Status.PUBLISHED


def test_an_offer_without_terms_is_not_published():
    """Resellers must have terms to accept, so an offer without any stays a draft."""
    offer = OfferFactory(status=Offer.Status.DRAFT, with_terms=False)
    assert list(publish_errors(offer)) == ["terms"]


def test_an_offer_without_territories_is_not_published(draft):
    """An empty territory list is refused on the territories field."""
    Offer.objects.filter(pk=draft.pk).update(territories="")
    errors = publish_errors(draft)
    assert list(errors) == ["territories"]
    assert "territory" in errors["territories"][0]


def test_a_calculation_date_before_the_sale_period_ends_is_refused(draft):
    """The reward cannot be calculated before the last sale it pays for."""
    draft.calculation_date = draft.sale_ends_on - dt.timedelta(days=1)
    draft.save()
    errors = publish_errors(draft)
    assert list(errors) == ["calculation_date"]


def test_a_calculation_date_on_the_last_sale_day_is_accepted(draft):
    """The calculation date may be the last day of the sale period."""
    draft.calculation_date = draft.sale_ends_on
    draft.save()
    assert offer_publish(offer=draft, actor=None).status == Offer.Status.PUBLISHED


def test_no_payout_currency_is_refused(draft):
    """The reseller must have a payout currency to choose (R12)."""
    draft.payout_currencies = []
    draft.save()
    assert list(publish_errors(draft)) == ["payout_currencies"]


@pytest.mark.parametrize("code", ["XYZ", "sek", "KRONOR", "DEM"])
def test_a_reward_currency_that_is_not_iso_4217_is_refused(draft, code):
    """The reward currency must be an ISO 4217 code, written in capitals."""
    draft.reward_currency = code[:3]
    draft.save()
    errors = publish_errors(draft)
    assert list(errors) == ["reward_currency"]
    assert "ISO 4217" in errors["reward_currency"][0]


def test_an_invalid_payout_currency_is_refused(draft):
    """Every payout currency offered must be an ISO 4217 code."""
    draft.payout_currencies = ["SEK", "EURO"]
    draft.save()
    errors = publish_errors(draft)
    assert list(errors) == ["payout_currencies"]
    assert "EURO" in errors["payout_currencies"][0]


def test_dates_out_of_order_are_reported_per_field():
    """The database refuses reversed periods; the check names the field to fix."""
    offer = OfferFactory.build(
        sale_starts_on=dt.date(2026, 7, 1),
        sale_ends_on=dt.date(2026, 6, 30),
        claim_opens_on=dt.date(2026, 9, 1),
        claim_closes_on=dt.date(2026, 8, 31),
        calculation_date=dt.date(2026, 6, 1),
        excluded_program="MRI",
        excluded_from=dt.date(2015, 12, 31),
        excluded_until=dt.date(2015, 7, 1),
    )
    errors = offer_publish_errors(offer, has_terms=True)
    assert set(errors) == {
        "sale_ends_on",
        "claim_closes_on",
        "calculation_date",
        "excluded_until",
    }
    assert "before it starts" in errors["sale_ends_on"][0]
    assert "before it opens" in errors["claim_closes_on"][0]
    with pytest.raises(ValidationError) as caught:
        offer.full_clean(exclude=["slug"])
    assert {"sale_ends_on", "claim_closes_on", "excluded_until"} <= set(
        caught.value.message_dict
    )


def test_every_problem_is_reported_at_once():
    """A manager sees all problems in one go, not one per attempt."""
    offer = OfferFactory(status=Offer.Status.DRAFT, with_terms=False)
    Offer.objects.filter(pk=offer.pk).update(
        territories="", payout_currencies=[], reward_currency="ZZZ"
    )
    assert set(publish_errors(offer)) == {
        "terms",
        "territories",
        "payout_currencies",
        "reward_currency",
    }


def test_archive_and_publish_again(draft):
    """An archived offer leaves the portal and can be published again."""
    offer_publish(offer=draft, actor=None)
    offer_archive(offer=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == Offer.Status.ARCHIVED
    offer_publish(offer=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == Offer.Status.PUBLISHED


# Terms versions -----


def test_terms_versions_are_numbered_and_old_ones_kept():
    """Each publication adds the next version; earlier texts stay word for word."""
    offer = OfferFactory(with_terms=False)
    first = terms_publish(
        offer=offer, text_en="Old terms.", text_sv="Gamla villkor.", actor=None
    )
    second = terms_publish(
        offer=offer, text_en="New terms.", text_sv="Nya villkor.", actor=None
    )
    third = terms_publish(offer=offer, text_en="Newer.", text_sv="Nyare.", actor=None)
    assert [first.version, second.version, third.version] == [1, 2, 3]
    first.refresh_from_db()
    assert (first.text_en, first.text_sv) == ("Old terms.", "Gamla villkor.")
    assert offer.terms.latest() == third
    assert second.published_at <= third.published_at


def test_terms_numbering_is_per_offer():
    """Another offer's versions do not move this offer's numbering."""
    offer, other = OfferFactory(with_terms=False), OfferFactory(with_terms=False)
    terms_publish(offer=other, text_en="a", text_sv="a", actor=None)
    terms_publish(offer=other, text_en="b", text_sv="b", actor=None)
    assert terms_publish(offer=offer, text_en="c", text_sv="c", actor=None).version == 1


def test_empty_terms_are_refused_per_language():
    """Both languages are required; nothing is written when one is missing."""
    offer = OfferFactory(with_terms=False)
    with pytest.raises(ValidationError) as caught:
        terms_publish(offer=offer, text_en="Terms.", text_sv="   ", actor=None)
    assert list(caught.value.message_dict) == ["text_sv"]
    assert not offer.terms.exists()


def test_a_terms_version_cannot_be_edited():
    """Saving an existing version is refused, so an accepted text never changes."""
    terms = OfferFactory().terms.get()
    terms.text_en = "Changed after acceptance."
    with pytest.raises(ValueError, match="immutable"):
        terms.save()
    assert Terms.objects.get(pk=terms.pk).text_en != "Changed after acceptance."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_terms_publications_get_distinct_versions():
    """Two managers publishing at once get versions n+1 and n+2, not an error."""
    import threading

    from django.db import connection

    offer = OfferFactory(with_terms=False)
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def publish(index: int) -> None:
        try:
            barrier.wait()
            terms_publish(
                offer=offer, text_en=f"en {index}", text_sv=f"sv {index}", actor=None
            )
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(offer.terms.values_list("version", flat=True)) == [1, 2, 3, 4]


def test_publish_archive_and_terms_write_an_event_with_their_actor(draft):
    """Each change of an offer is an OfferEvent naming who made it: a terms
    version (with its number), a publish and an archive with their states."""
    manager = UserFactory()
    terms = terms_publish(
        offer=draft, text_en="Terms", text_sv="Villkor", actor=manager
    )
    offer_publish(offer=draft, actor=manager)
    offer_archive(offer=draft, actor=manager)
    events = list(
        draft.events.order_by("pk").values_list(
            "kind", "from_status", "to_status", "actor", "terms_version"
        )
    )
    assert events == [
        (OfferEvent.Kind.TERMS_PUBLISHED, "draft", "draft", manager.pk, terms.version),
        (OfferEvent.Kind.PUBLISHED, "draft", "published", manager.pk, None),
        (OfferEvent.Kind.ARCHIVED, "published", "archived", manager.pk, None),
    ]


def test_a_repeated_publish_writes_no_second_event(draft):
    """Publishing a published offer changes nothing, so it records nothing."""
    offer_publish(offer=draft, actor=None)
    offer_publish(offer=draft, actor=None)
    assert draft.events.filter(kind=OfferEvent.Kind.PUBLISHED).count() == 1


def test_a_refusal_is_an_offer_error_with_a_code_on_each_field():
    """What stops a publish or a terms version is an OfferError (a PortalError),
    its messages on their fields with the rule's code; nothing is written."""
    offer = OfferFactory(status=Offer.Status.DRAFT, territories=[])
    with pytest.raises(OfferError) as refused:
        offer_publish(offer=offer, actor=None)
    assert isinstance(refused.value, PortalError)
    assert "territories" in refused.value.message_dict
    assert set(refused.value.codes) == {OfferError.Code.NOT_PUBLISHABLE}
    with pytest.raises(OfferError) as refused:
        terms_publish(offer=offer, text_en=" ", text_sv="Villkor", actor=None)
    assert list(refused.value.message_dict) == ["text_en"]
    assert refused.value.code == OfferError.Code.TERMS_TEXT_REQUIRED
    assert not offer.events.exists()

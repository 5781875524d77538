"""The program managers' admin: offers publish through the service with a
message per field, terms are only ever added, lists stay at a fixed query count."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from offers.models import Offer, OfferEvent, Terms
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory, ProductFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:offers_offer_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_form_data(offer: Offer, **changes) -> dict:
    """What the change form posts for the offer as stored, plus changes."""
    terms = list(offer.terms.order_by("-version"))
    data = {
        "title_en": offer.title_en,
        "title_sv": offer.title_sv,
        "description_en": offer.description_en,
        "description_sv": offer.description_sv,
        "slug": offer.slug,
        "sale_starts_on": offer.sale_starts_on.isoformat(),
        "sale_ends_on": offer.sale_ends_on.isoformat(),
        "claim_opens_on": offer.claim_opens_on.isoformat(),
        "claim_closes_on": offer.claim_closes_on.isoformat(),
        "calculation_date": offer.calculation_date.isoformat(),
        "territories": [country.code for country in offer.territories],
        "products": [p.pk for p in offer.products.all()],
        "min_seats_per_agreement": offer.min_seats_per_agreement,
        "min_net_new_customers": offer.min_net_new_customers,
        "excluded_program": offer.excluded_program,
        "claim_mode": offer.claim_mode,
        "reward_basis": offer.reward_basis,
        "reward_value": str(offer.reward_value),
        "reward_currency": offer.reward_currency,
        "payout_currencies": ", ".join(offer.payout_currencies),
        "payment_term_days": offer.payment_term_days,
        "bank_details_term_days": offer.bank_details_term_days,
        "reminder_interval_days": offer.reminder_interval_days,
        "max_reminders": offer.max_reminders,
        "return_period_days": offer.return_period_days,
        "vat_document_kind": offer.vat_document_kind,
        "return_periods-TOTAL_FORMS": 0,
        "return_periods-INITIAL_FORMS": 0,
        "terms-TOTAL_FORMS": len(terms),
        "terms-INITIAL_FORMS": len(terms),
    }
    for index, version in enumerate(terms):
        data[f"terms-{index}-id"] = version.pk
        data[f"terms-{index}-offer"] = offer.pk
    data.update(changes)
    return data


def test_a_program_manager_chooses_the_offers_vat_document(admin_client):
    """The kind of VAT document an offer's payments carry (R25) is set in
    admin, also once the offer has claims (it is no criterion)."""
    offer = ClaimFactory().offer
    assert offer.vat_document_kind == Offer.VatDocumentKind.CREDIT_NOTE
    response = admin_client.post(
        reverse("admin:offers_offer_change", args=[offer.pk]),
        change_form_data(offer, vat_document_kind="settlement_note"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    offer.refresh_from_db()
    assert offer.vat_document_kind == Offer.VatDocumentKind.SETTLEMENT_NOTE


def test_the_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    """Claims counts and terms versions come from subqueries, not one per row."""
    ClaimFactory()
    admin_client.get(CHANGELIST)
    with django_assert_num_queries(QUERIES_CHANGELIST):
        response = admin_client.get(CHANGELIST)
    for _ in range(3):
        ClaimFactory(offer=OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE))
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    for _ in range(4):
        ClaimFactory(offer=offer, claim_mode=offer.claim_mode)
    with django_assert_num_queries(QUERIES_CHANGELIST):
        response = admin_client.get(CHANGELIST)
    rows = {o.pk: o for o in response.context["cl"].result_list}
    assert rows[offer.pk].claims_total == 4
    assert rows[offer.pk].latest_terms_version == offer.terms.get().version


def test_publish_action_reports_each_problem_by_field(admin_client):
    """An offer that fails the checks stays a draft; the message names each field."""
    offer = OfferFactory(status=Offer.Status.DRAFT, with_terms=False)
    Offer.objects.filter(pk=offer.pk).update(territories="", payout_currencies=[])
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [offer.pk]}
    )
    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "was not published" in message
    assert "territories: Choose at least one territory." in message
    assert "payout currencies: Offer at least one payout currency." in message
    assert "terms: Add a terms version" in message
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT


def test_publish_and_archive_actions_change_the_status(admin_client):
    """A complete draft is published by the action, then archived by the other."""
    offer = OfferFactory(status=Offer.Status.DRAFT)
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [offer.pk]}
    )
    assert messages_of(response) == [f"“{offer.title_en}” is published."]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PUBLISHED
    admin_client.post(CHANGELIST, {"action": "archive", "_selected_action": [offer.pk]})
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ARCHIVED


def test_the_admin_actions_and_the_terms_inline_record_who_acted(client):
    """Publishing, archiving and a new terms version from admin each write an
    OfferEvent naming the program manager who did it."""
    manager = StaffUserFactory(is_superuser=True)
    client.force_login(manager)
    offer = OfferFactory(status=Offer.Status.DRAFT)
    for action in ("publish", "archive"):
        client.post(CHANGELIST, {"action": action, "_selected_action": [offer.pk]})
    count = offer.terms.count()
    data = change_form_data(
        offer,
        **{
            "terms-TOTAL_FORMS": count + 1,
            f"terms-{count}-text_en": "Version two.",
            f"terms-{count}-text_sv": "Version två.",
            f"terms-{count}-offer": offer.pk,
        },
    )
    client.post(reverse("admin:offers_offer_change", args=[offer.pk]), data)
    events = list(offer.events.order_by("pk").values_list("kind", "actor"))
    assert events[-3:] == [
        (OfferEvent.Kind.PUBLISHED, manager.pk),
        (OfferEvent.Kind.ARCHIVED, manager.pk),
        (OfferEvent.Kind.TERMS_PUBLISHED, manager.pk),
    ]


def test_a_new_terms_version_is_added_and_the_old_one_kept(admin_client):
    """The inline adds version n+1; an attempt to alter version n changes nothing."""
    offer = OfferFactory()
    old = offer.terms.get()
    count = offer.terms.count()
    data = change_form_data(
        offer,
        **{
            "terms-TOTAL_FORMS": count + 1,
            "terms-0-text_en": "Tampered with.",
            f"terms-{count}-text_en": "Version two.",
            f"terms-{count}-text_sv": "Version två.",
            f"terms-{count}-offer": offer.pk,
        },
    )
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    versions = list(offer.terms.order_by("version"))
    assert [t.version for t in versions] == [old.version, old.version + 1]
    assert versions[0].text_en == old.text_en
    assert (versions[1].text_en, versions[1].text_sv) == (
        "Version two.",
        "Version två.",
    )


def test_the_change_page_shows_old_versions_read_only(admin_client):
    """Existing terms are displayed, not editable."""
    offer = OfferFactory()
    response = admin_client.get(reverse("admin:offers_offer_change", args=[offer.pk]))
    content = response.content.decode()
    assert offer.terms.get().text_en in content
    assert 'name="terms-0-text_en"' not in content
    assert 'name="terms-__prefix__-text_en"' in content


def test_dates_out_of_order_in_the_form_are_field_errors_not_a_crash(admin_client):
    """A reversed claim window is reported on its field; nothing is saved."""
    offer = OfferFactory()
    data = change_form_data(
        offer,
        claim_opens_on="2026-12-01",
        claim_closes_on="2026-11-30",
        payout_currencies="SEK, EURO",
    )
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "cannot close before it opens" in str(form.errors["claim_closes_on"])
    assert "EURO" in str(form.errors["payout_currencies"])
    offer.refresh_from_db()
    assert offer.claim_closes_on == dt.date(2027, 1, 31)


def test_a_published_offer_cannot_be_edited_into_an_unpublishable_one(admin_client):
    """Emptying the territories of a published offer is refused on the field."""
    offer = OfferFactory()
    data = change_form_data(offer, territories=[])
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "territories" in response.context["adminform"].form.errors


def test_payout_currencies_are_typed_as_codes(admin_client):
    """ "sek, eur" is stored as ["SEK", "EUR"]."""
    offer = OfferFactory()
    offer.products.add(ProductFactory())
    data = change_form_data(offer, payout_currencies="sek; eur, SEK")
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    assert admin_client.post(url, data).status_code == 302
    offer.refresh_from_db()
    assert offer.payout_currencies == ["SEK", "EUR"]
    assert Terms.objects.filter(offer=offer).count() == 1


@pytest.mark.parametrize(
    "model", ["product", "licencetype", "customersegment", "offer"]
)
def test_admin_pages_open(admin_client, model):
    """The list and add pages of every catalogue table open."""
    assert admin_client.get(
        reverse(f"admin:offers_{model}_changelist")
    ).status_code == (200)
    assert admin_client.get(reverse(f"admin:offers_{model}_add")).status_code == 200


# Fixed, whatever the number of offers and claims; the staff MFA check reads
# the session, no query of its own.
QUERIES_CHANGELIST = 7


def test_an_offer_with_a_claim_keeps_its_criteria_reward_and_dates(admin_client):
    """Once claimed, what the claim was judged on is read-only; the title, the
    payment settings and new terms versions can still change."""
    offer = OfferFactory()
    offer.products.add(ProductFactory())
    ClaimFactory(offer=offer)
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    page = admin_client.get(url).content.decode()
    for field in ("reward_value", "claim_closes_on", "territories", "products"):
        assert f'name="{field}"' not in page
    assert 'name="title_en"' in page and 'name="max_reminders"' in page
    assert "archive it and publish a corrected offer" in page
    before = Offer.objects.get(pk=offer.pk)
    data = change_form_data(
        offer,
        title_en="Corrected title",
        max_reminders=2,
        reward_value="99",
        claim_closes_on="2027-12-31",
        reward_currency="EUR",
        payout_currencies="EUR",
        territories=["NO"],
        products=[ProductFactory().pk],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    offer.refresh_from_db()
    assert (offer.title_en, offer.max_reminders) == ("Corrected title", 2)
    for field in Offer.FIXED_ONCE_CLAIMED:
        if field in ("products", "licence_types", "segments"):
            assert set(getattr(offer, field).all()) == set(getattr(before, field).all())
        else:
            assert getattr(offer, field) == getattr(before, field), field


def test_an_offer_without_claims_stays_editable(admin_client):
    offer = OfferFactory()
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="reward_value"' in page and "corrected offer" not in page

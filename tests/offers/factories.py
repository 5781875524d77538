"""Factories for the offer catalogue."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from offers.models import CustomerSegment, LicenceType, Offer, Product, Terms


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["sku"]

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Cloud Suite {n}")
    family = "Cloud Suite"
    deployment = Product.Deployment.CLOUD


class LicenceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceType
        django_get_or_create = ["code"]

    code = "OPEN_LICENSE"
    name = "Open License"


class CustomerSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerSegment
        django_get_or_create = ["code"]

    code = "COMMERCIAL"
    name = "Commercial"


class OfferFactory(factory.django.DjangoModelFactory):
    """A published offer whose claim window is open around 2026-11-26."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    title_en = factory.Sequence(lambda n: f"Cloud Open Promotion {n}")
    title_sv = factory.Sequence(lambda n: f"Cloud Open-kampanj {n}")
    description_en = "Money back on Cloud Open sales."
    description_sv = "Pengar tillbaka för Cloud Open-försäljning."
    slug = factory.Sequence(lambda n: f"cloud-open-{n}")
    status = Offer.Status.PUBLISHED
    sale_starts_on = dt.date(2026, 7, 1)
    sale_ends_on = dt.date(2026, 12, 31)
    claim_opens_on = dt.date(2026, 9, 1)
    claim_closes_on = dt.date(2027, 1, 31)
    calculation_date = dt.date(2027, 2, 28)
    territories = ["SE", "NO", "DK", "FI"]
    claim_mode = Offer.ClaimMode.ONE_PER_RESELLER
    reward_basis = Offer.RewardBasis.PERCENT_OF_REVENUE
    reward_value = Decimal("10")
    reward_currency = "SEK"
    payout_currencies = ["SEK", "EUR"]
    return_period_days = 30

    @factory.post_generation
    def with_terms(self, create, extracted, **kwargs):
        if create and extracted is not False:
            TermsFactory(offer=self)


class TermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Terms

    offer = factory.SubFactory(OfferFactory, with_terms=False)
    version = factory.Sequence(lambda n: n + 1)
    text_en = "You accept that the vendor checks every claim."
    text_sv = "Du godkänner att leverantören granskar varje anspråk."
    published_at = factory.LazyFunction(timezone.now)

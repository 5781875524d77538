"""Factories for the ledger and claims."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from claims.models import (
    Claim,
    ClaimAgreement,
    ClaimEvent,
    DuplicateAttempt,
    OpenAgreement,
)
from tests.offers.factories import (
    CustomerSegmentFactory,
    LicenceTypeFactory,
    OfferFactory,
    ProductFactory,
)
from tests.resellers.factories import ResellerFactory, UserFactory


class OpenAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpenAgreement

    agreement_number = factory.Sequence(lambda n: f"{87000000 + n}")
    reseller_org_number = "5560000001"
    reseller_name = "Nordic Licensing AB"
    customer_id = factory.Sequence(lambda n: f"CUST-{n}")
    customer_segment = factory.SubFactory(CustomerSegmentFactory)
    licence_type = factory.SubFactory(LicenceTypeFactory)
    product = factory.SubFactory(ProductFactory)
    seats = 10
    revenue = Decimal("10000.00")
    currency = "SEK"
    sale_date = dt.date(2026, 8, 15)
    new_customer = True


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CB-2026-{n + 1:06d}")
    reseller = factory.SubFactory(ResellerFactory)
    offer = factory.SubFactory(OfferFactory)
    claim_mode = factory.SelfAttribute("offer.claim_mode")
    # The company's first user, so its admin (only admins give bank details).
    submitted_by = factory.SubFactory(
        UserFactory, reseller=factory.SelfAttribute("..reseller"), is_company_admin=True
    )
    terms = factory.LazyAttribute(lambda o: o.offer.terms.latest())
    terms_accepted_at = factory.LazyFunction(timezone.now)
    terms_accepted_ip = "127.0.0.1"
    status = Claim.Status.SUBMITTED
    reward_currency = factory.SelfAttribute("offer.reward_currency")
    # As if validation had run: approving needs a reward to pay.
    reward_amount = Decimal("1000.00")

    @factory.post_generation
    def agreement_numbers(self, create, extracted, **kwargs):
        if create:
            for number in extracted or []:
                ClaimAgreement.objects.create(
                    claim=self, offer=self.offer, agreement_number=number
                )


class ClaimEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimEvent

    claim = factory.SubFactory(ClaimFactory)
    kind = ClaimEvent.Kind.FILED
    to_status = Claim.Status.SUBMITTED


class DuplicateAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DuplicateAttempt

    existing_claim = factory.SubFactory(ClaimFactory)
    offer = factory.SelfAttribute("existing_claim.offer")
    agreement_number = "87654321"
    reseller = factory.SubFactory(ResellerFactory)

"""Factories for payouts."""

import datetime as dt
from decimal import Decimal

import factory

from claims.models import Claim
from payouts.models import ExchangeRate, Payout
from tests.claims.factories import ClaimFactory


class PayoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payout

    claim = factory.SubFactory(ClaimFactory, status=Claim.Status.APPROVED)
    reseller = factory.SelfAttribute("claim.reseller")
    offer = factory.SelfAttribute("claim.offer")
    amount = Decimal("1000.00")
    currency = "SEK"
    release_date = dt.date(2027, 3, 30)
    payment_deadline = dt.date(2027, 4, 29)


def approved_claim(**kwargs) -> Claim:
    """An approved claim with a reward, ready for the claim_approved signal."""
    kwargs.setdefault("status", Claim.Status.APPROVED)
    kwargs.setdefault("reward_amount", Decimal("1000.00"))
    return ClaimFactory(**kwargs)


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ["base_currency", "quote_currency", "rate_date"]

    base_currency = "SEK"
    quote_currency = "EUR"
    rate_date = dt.date(2027, 2, 28)
    rate = Decimal("0.08700000")

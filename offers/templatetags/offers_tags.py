"""Template helpers for offer pages: the reward line and links to claims."""

from django import template
from django.urls import NoReverseMatch, reverse

from offers import formatting
from offers.models import Offer

register = template.Library()


@register.filter
def reward_line(offer: Offer) -> str:
    """The reward rule in one line, in the active language."""
    return formatting.reward_summary(offer)


@register.simple_tag
def offer_criteria(offer: Offer, return_period_days: int) -> list[tuple[str, str]]:
    """Every criterion as (label, text) rows, in the active language."""
    return formatting.offer_criteria(offer, return_period_days=return_period_days)


@register.filter
def claim_url(claim) -> str:
    """The claim's page, or "" while the claims app does not serve one yet."""
    try:
        return reverse("claims:detail", kwargs={"reference": claim.reference})
    except NoReverseMatch:
        return ""


# e2e: money on every page in the reader's format ("1 234,50 SEK", "SEK 1,234.50").
@register.filter
def money(amount, currency: str) -> str:
    """An amount with its currency code, grouped and with the reader's decimal mark."""
    if amount is None or amount == "":
        return ""
    return formatting.money(amount, currency)


# e2e: for messages whose text already places the currency code after the amount.
@register.filter
def grouped(amount) -> str:
    """The amount alone, grouped with the reader's marks: "1 234,50", "1,234.50"."""
    if amount is None or amount == "":
        return ""
    return formatting.amount_text(amount)

"""Template helpers for offer pages: the reward line and the criteria."""

from django import template

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

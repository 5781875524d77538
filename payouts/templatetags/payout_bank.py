"""The bank's events of a payout in plain words, for the reseller's list."""

from django import template

from payouts.presentation import bank_event_words

register = template.Library()


@register.filter
def bank_words(event) -> str:
    return bank_event_words(event)

"""`{% load steppers %}`: a claim's or a payout's steps, for the steppers of
the claim page and the payout list."""

from django import template

from cashback.steppers import Step
from portal import steppers

register = template.Library()


@register.filter
def claim_steps(claim) -> list[Step]:
    return steppers.claim_steps(claim)


@register.filter
def payout_steps(payout) -> list[Step]:
    return steppers.payout_steps(payout)

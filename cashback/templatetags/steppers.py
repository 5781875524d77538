"""`{% load steppers %}`: a claim's or a payout's steps for includes/stepper.html."""

from django import template

from cashback import steppers

register = template.Library()


@register.filter
def claim_steps(claim) -> list[steppers.Step]:
    return steppers.claim_steps(claim)


@register.filter
def payout_steps(payout) -> list[steppers.Step]:
    return steppers.payout_steps(payout)

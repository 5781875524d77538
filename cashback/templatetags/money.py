"""{{ amount|money:currency }} in any template: the one way an amount is written
for people (cashback.money.money)."""

from django import template

from cashback import money as money_format

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    return money_format.money(amount, currency)

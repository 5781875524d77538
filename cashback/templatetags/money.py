"""{{ amount|money:currency }} and {{ amount|grouped }} in any template."""

from django import template

from cashback import money as money_format

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    return money_format.money(amount, currency)


@register.filter
def grouped(amount) -> str:
    """The amount alone, for texts that place the currency code themselves."""
    if amount is None or amount == "":
        return ""
    return money_format.amount_text(amount)

"""The one home of "is a company's postal address complete for its country".

The company form marks the parts it requires with `address_required_fields`,
and the bank-details check (R12) refuses an address `address_is_complete`
calls incomplete: both read the same rule, so an address the company page
accepts is never refused when the company is to be paid.
"""

from typing import Protocol

# Countries whose postal addresses need a region (state, province) and those
# without postal codes; everyone else needs street, postal code and city.
REGION_REQUIRED = frozenset({"US", "CA", "AU", "BR", "MX", "IN", "CN", "JP"})
NO_POSTAL_CODE = frozenset({"HK", "AE", "QA", "IE", "PA", "BS", "JM", "AO"})


class PostalAddress(Protocol):
    """What the rule reads (a Reseller)."""

    country: object
    street_address: str
    postal_code: str
    city: str
    region: str


def address_required_fields(country: str) -> tuple[str, ...]:
    """The address fields a company of `country` must fill in, in form order."""
    country = str(country).upper()
    fields = ["street_address"]
    if country not in NO_POSTAL_CODE:
        fields.append("postal_code")
    fields.append("city")
    if country in REGION_REQUIRED:
        fields.append("region")
    return tuple(fields)


def address_missing_fields(address: PostalAddress) -> list[str]:
    """The required address fields that are still blank."""
    country = getattr(address.country, "code", address.country) or ""
    return [
        name
        for name in address_required_fields(country)
        if not (getattr(address, name) or "").strip()
    ]


def address_is_complete(address: PostalAddress) -> bool:
    """Whether every part the country needs is filled in (R12)."""
    return not address_missing_fields(address)

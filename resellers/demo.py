"""Demo data for resellers: vendor staff and a verified demo reseller with two users."""

from allauth.account.models import EmailAddress

from .identifiers import company_name_key
from .models import Reseller, ResellerDomain, User

DEMO_PASSWORD = "cashback-demo-2026"  # noqa: S105  (printed for the demo, local only)

DEMO_RESELLER = {
    "legal_name": "Nordlicens AB",
    "country": "SE",
    "org_number": "5591234561",  # valid (Luhn) but fictitious
    "vat_number": "SE559123456101",
    "street_address": "Sveavägen 44",
    "postal_code": "111 34",
    "city": "Stockholm",
    "preferred_currency": "SEK",
    "preferred_language": "sv",
}


def demo_user_ensure(*, email: str, is_staff: bool = False, **fields) -> User:
    """Create the user once, with a verified primary address; re-runs change nothing."""
    user, created = User.objects.get_or_create(
        email=email, defaults={"is_staff": is_staff, **fields}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_reseller_ensure() -> Reseller:
    """The demo company Nordlicens AB on nordlicens.se, active."""
    fields = dict(DEMO_RESELLER)
    reseller, _created = Reseller.objects.get_or_create(
        country=fields.pop("country"),
        org_number=fields.pop("org_number"),
        defaults={
            **fields,
            "normalized_name": company_name_key(fields["legal_name"]),
        },
    )
    ResellerDomain.objects.get_or_create(reseller=reseller, domain="nordlicens.se")
    return reseller


def seed() -> list[tuple[str, str]]:
    """Returns the log-ins to print: (role, e-mail)."""
    demo_user_ensure(
        email="admin@vendor.example",
        is_staff=True,
        is_superuser=True,
        first_name="Ada",
        last_name="Admin",
    )
    reseller = demo_reseller_ensure()
    demo_user_ensure(
        email="anna@nordlicens.se",
        first_name="Anna",
        last_name="Berg",
        reseller=reseller,
        is_company_admin=True,
    )
    demo_user_ensure(
        email="erik@nordlicens.se",
        first_name="Erik",
        last_name="Holm",
        reseller=reseller,
    )
    return [
        ("Vendor administrator (admin)", "admin@vendor.example"),
        ("Reseller company admin (Nordlicens AB)", "anna@nordlicens.se"),
        ("Reseller member (Nordlicens AB)", "erik@nordlicens.se"),
    ]

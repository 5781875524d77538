"""Demo data for resellers: vendor staff and a verified demo reseller with two users."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

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


def demo_user_ensure(
    *, email: str, is_staff: bool = False, groups: tuple[str, ...] = (), **fields
) -> tuple[User, bool]:
    """The demo user with this e-mail, created with a verified primary address and
    its groups when missing; an existing user is returned untouched.

    Returns (user, created).
    """
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User.objects.create(email=email, is_staff=is_staff, **fields)
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user, True


def demo_reseller_ensure() -> tuple[Reseller, bool]:
    """The demo company Nordlicens AB on nordlicens.se, created when missing and
    otherwise returned as it is. Returns (reseller, created)."""
    fields = dict(DEMO_RESELLER)
    country, org_number = fields.pop("country"), fields.pop("org_number")
    reseller = Reseller.objects.filter(country=country, org_number=org_number).first()
    if reseller is not None:
        return reseller, False
    reseller = Reseller.objects.create(
        country=country,
        org_number=org_number,
        normalized_name=company_name_key(fields["legal_name"]),
        **fields,
    )
    ResellerDomain.objects.create(reseller=reseller, domain="nordlicens.se")
    return reseller, True


# (role, e-mail, the user's fields) of the people the resellers demo creates.
DEMO_USERS = [
    (
        "Vendor administrator (admin)",
        "admin@vendor.example",
        {
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Ada",
            "last_name": "Admin",
        },
    ),
    (
        "Reseller company admin (Nordlicens AB)",
        "anna@nordlicens.se",
        {"first_name": "Anna", "last_name": "Berg", "is_company_admin": True},
    ),
    (
        "Reseller member (Nordlicens AB)",
        "erik@nordlicens.se",
        {"first_name": "Erik", "last_name": "Holm"},
    ),
]


def seed() -> tuple[list[tuple[str, str]], int]:
    """Create the vendor admin and the demo company with its two users, each only
    when missing. Returns the log-ins to print as (role, e-mail) and how many
    rows it created."""
    reseller, created = demo_reseller_ensure()
    count = int(created)
    now = timezone.now()
    for _role, email, fields in DEMO_USERS:
        if not fields.get("is_staff"):
            # Both already approved members: the demo shows the whole company.
            fields = {**fields, "reseller": reseller, "member_approved_at": now}
        count += demo_user_ensure(email=email, **fields)[1]
    return [(role, email) for role, email, _fields in DEMO_USERS], count

"""Demo data for resellers: vendor staff log-ins (and, later, a demo reseller)."""

from allauth.account.models import EmailAddress

from .models import User

DEMO_PASSWORD = "cashback-demo-2026"  # noqa: S105  (printed for the demo, local only)


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


def seed() -> list[tuple[str, str]]:
    """Returns the log-ins to print: (role, e-mail)."""
    demo_user_ensure(
        email="admin@vendor.example",
        is_staff=True,
        is_superuser=True,
        first_name="Ada",
        last_name="Admin",
    )
    return [("Vendor administrator (admin)", "admin@vendor.example")]

"""Load the demo data of every app, in dependency order; safe to run again."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse

from cashback.security import mfa_enrolment_token, user_has_totp
from claims import demo as claims_demo
from offers import demo as offers_demo
from payouts import demo as payouts_demo
from resellers import demo as resellers_demo
from resellers.demo import DEMO_PASSWORD

APP_SEEDERS = [
    resellers_demo.seed,
    offers_demo.seed,
    claims_demo.seed,
    payouts_demo.seed,
]


class Command(BaseCommand):
    help = "Create the demo users, companies and offers (idempotent); print log-ins."

    def handle(self, *args, **options) -> None:
        logins: dict[str, str] = {}
        # The demo's own notices are marked sent without going anywhere: they
        # describe made-up history, not news for a real inbox.
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
            ),
            transaction.atomic(),
        ):
            for seed in APP_SEEDERS:
                for role, email in seed():
                    logins.setdefault(email, role)
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Log in with:"))
        for email, role in logins.items():
            self.stdout.write(f"  {role:<40} {email:<32} password: {DEMO_PASSWORD}")
        self.write_enrolment_links(logins)

    def write_enrolment_links(self, logins: dict[str, str]) -> None:
        """Staff enrol an authenticator only through a link an administrator
        sends (cashback.staff_enrolment); here the one running the demo is the
        administrator, so the links are printed."""
        staff = [
            user
            for user in get_user_model().objects.filter(
                email__in=list(logins), is_staff=True
            )
            if not user_has_totp(user)
        ]
        if not staff:
            return
        self.stdout.write(
            "Staff: log in, then open this link once to set up two-factor "
            "authentication with an authenticator app:"
        )
        for user in staff:
            path = reverse("staff_mfa_enrol", args=[mfa_enrolment_token(user)])
            self.stdout.write(
                f"  {user.email:<32} {settings.PORTAL_URL.rstrip('/')}{path}"
            )

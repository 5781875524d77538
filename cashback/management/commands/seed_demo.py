"""Load the demo data of every app; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from resellers import demo as resellers_demo
from resellers.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create the demo users, companies and offers (idempotent); print log-ins."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            logins = resellers_demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Log in with:"))
        for role, email in logins:
            self.stdout.write(f"  {role:<40} {email:<32} password: {DEMO_PASSWORD}")

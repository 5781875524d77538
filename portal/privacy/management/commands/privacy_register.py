"""Write docs/privacy.md from the register (portal.privacy.register)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.privacy.document import register_markdown


class Command(BaseCommand):
    help = "Write the register of personal data to docs/privacy.md (or --check it)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if it differs.")

    def handle(self, *args, check: bool = False, **options):
        path = Path(settings.BASE_DIR) / "docs" / "privacy.md"
        text = register_markdown()
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise SystemExit("docs/privacy.md differs from the register.")
            self.stdout.write("docs/privacy.md matches the register.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}")

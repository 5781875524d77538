"""docs/privacy.md, written from the register (`manage.py privacy_register`);
tests/portal/privacy/test_register.py fails when the file and the table differ."""

from django.utils import translation

from .register import BASIS_WORDS, ERASURE_WORDS, REGISTER, RETENTION_WORDS

HEADER = """# Register of personal data

Generated from `portal/privacy/register.py` by `manage.py privacy_register`; do not
edit by hand (a test fails when this file and the register differ). The export
("Your data" on the account page), the erasure ("Close my account", and staff's
"closed accounts" in admin) and the retention job (`privacy.retention`,
`manage.py apply_retention [--dry-run]`) all read the same table. The portal
collects no telephone number.

| kind | data | where | why | legal basis | kept | when the account is closed |
| --- | --- | --- | --- | --- | --- | --- |
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def register_markdown() -> str:
    """The register as a Markdown table, in English."""
    lines = []
    with translation.override("en"):
        for entry in REGISTER:
            data = f"{entry.model}: " + ", ".join(f"`{f}`" for f in entry.fields)
            cells = [
                f"{entry.kind} ({entry.label})",
                data,
                entry.where,
                entry.purpose,
                BASIS_WORDS[entry.basis],
                RETENTION_WORDS[entry.retention],
                ERASURE_WORDS[entry.erasure],
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return HEADER + "\n".join(lines) + "\n"

"""Open agreement numbers as resellers type them and as the ledger stores them."""

import re

from django.utils.translation import gettext_lazy as _

# Open License licence numbers are 8 digits, authorisation numbers 15
# characters; anything of letters and digits in between is accepted and the
# ledger check says whether it exists.
AGREEMENT_NUMBER_RE = re.compile(r"^[A-Z0-9]{7,15}$")
MAX_NUMBERS_PER_CLAIM = 500

_SEPARATORS = re.compile(r"[\s\-–—_./]+")
_LIST_SPLIT = re.compile(r"[,;\n\r]+")


def agreement_number_normalize(raw: str) -> str:
    """Upper case, no spaces, dashes, dots or slashes: `v-1234 5678` -> V12345678."""
    return _SEPARATORS.sub("", raw).upper()


def agreement_numbers_split(text: str) -> list[str]:
    """One per line or separated by commas (or semicolons); blank entries dropped."""
    return [part.strip() for part in _LIST_SPLIT.split(text or "") if part.strip()]


def agreement_numbers_parse(entries: list[str]) -> tuple[list[str], list[str]]:
    """Normalised unique numbers in order, and one message per bad entry."""
    numbers: list[str] = []
    errors: list[str] = []
    for entry in entries:
        number = agreement_number_normalize(entry)
        if not AGREEMENT_NUMBER_RE.match(number):
            errors.append(
                _(
                    "“%(number)s” is not an Open agreement number: use 7 to 15 "
                    "letters and digits (licence numbers have 8 digits)."
                )
                % {"number": entry[:40]}
            )
        elif number not in numbers:
            numbers.append(number)
    return numbers, errors

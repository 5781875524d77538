"""Links built many times per page."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse

MARKER = "LINKARGUMENT"
# What `reverse` leaves unquoted in a path argument.
PATH_SAFE = "!$&'()*+,;=/~:@"


def path_of(viewname: str, argument: str) -> Callable[[str], str]:
    """`value -> reverse(viewname, kwargs={argument: value})`, reversed once:
    a list page that links each of its rows (a claim's reference) paid a
    `reverse` per row. For string arguments matched by `<str:...>`; raises
    NoReverseMatch as `reverse` does."""
    pattern = reverse(viewname, kwargs={argument: MARKER})
    before, after = pattern.split(MARKER, 1)
    return lambda value: f"{before}{quote(value, safe=PATH_SAFE)}{after}"

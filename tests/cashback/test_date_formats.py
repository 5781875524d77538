"""One date format per language (issue 28): templates and code name the formats
of cashback/formats/<language>/formats.py instead of writing patterns of their
own, so the portal, the admin and the e-mails cannot drift apart."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

ROOT = Path(settings.BASE_DIR)
NAMED = re.compile(
    r"(SHORT_)?DATE(TIME)?_FORMAT|TIME_FORMAT|YEAR_MONTH_FORMAT|MONTH_DAY_FORMAT"
)
# Machine-readable values, not text for people: ISO 8601 in a <time datetime>
# attribute, a year in a link's query.
MACHINE = {"c", "Y", "U"}
TEMPLATE_DATE = re.compile(
    r"""\|(?:date|time):\s*["']([^"']*)["']|{%\s*now\s+["']([^"']*)["']"""
)


def is_literal(fmt: str) -> bool:
    return not NAMED.fullmatch(fmt) and fmt not in MACHINE


def literal_formats(paths) -> list[str]:
    found = []
    for path in paths:
        for match in TEMPLATE_DATE.finditer(path.read_text()):
            fmt = next(group for group in match.groups() if group is not None)
            if is_literal(fmt):
                found.append(f"{path.relative_to(ROOT)}: {fmt!r}")
    return found


def python_date_calls(path: Path) -> tuple[list[str], bool]:
    """The literal formats given to date_format()/time_format(), and whether
    the module calls strftime."""
    literals, strftime = [], False
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        strftime = strftime or name == "strftime"
        if name not in {"date_format", "time_format"}:
            continue
        fmt = node.args[1] if len(node.args) > 1 else None
        fmt = next((k.value for k in node.keywords if k.arg == "format"), fmt)
        if isinstance(fmt, ast.Constant) and is_literal(fmt.value):
            literals.append(f"{path.relative_to(ROOT)}: {fmt.value!r}")
    return literals, strftime


def test_templates_name_their_date_formats():
    templates = [
        path
        for path in (ROOT / "templates").rglob("*")
        if path.suffix in {".html", ".txt"}
    ]
    assert templates
    assert literal_formats(templates) == []


def test_code_names_its_date_formats():
    """date_format() with a pattern of its own, or strftime for people to read."""
    apps = [
        "cashback",
        "resellers",
        "offers",
        "claims",
        "payouts",
        "statements",
        "portal",
    ]
    sources = [
        path
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]
    calls = {str(path.relative_to(ROOT)): python_date_calls(path) for path in sources}
    assert [literal for literals, _ in calls.values() for literal in literals] == []
    # strftime only for file names and message ids, which machines read.
    strftime = sorted(path for path, (_, uses) in calls.items() if uses)
    assert strftime == ["cashback/exports.py", "payouts/services/batches.py"]


@pytest.mark.parametrize(
    ("language", "date", "moment", "short"),
    [
        ("en", "4 December 2026", "4 December 2026 14:30 CET", "4 Dec 2026"),
        ("sv", "4 december 2026", "4 december 2026 14:30 CET", "4 dec 2026"),
    ],
)
def test_one_date_and_one_moment_per_language(language, date, moment, short):
    at = dt.datetime(2026, 12, 4, 13, 30, tzinfo=dt.UTC)
    with translation.override(language):
        assert date_format(at.date()) == date
        assert date_format(at.date(), "DATE_FORMAT") == date
        assert date_format(timezone.localtime(at), "DATETIME_FORMAT") == moment
        assert date_format(at.date(), "SHORT_DATE_FORMAT") == short

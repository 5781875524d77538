"""Program memberships (MRI) from CSV with the columns
`reseller_org_number,program,start_date,end_date`.

Extra columns are ignored; a missing column stops the import before any row is
written. Malformed rows are reported by line and skipped. A row whose
organisation number no company has registered yet is reported by line and
kept as a WaitingMembership, which applies the day that company signs up
(`memberships_waiting_apply`). Re-running a file changes nothing: a membership
is identified by reseller (or number), program and start date.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from .identifiers import org_number_match_key
from .models import ProgramMembership, Reseller, WaitingMembership

MEMBERSHIP_COLUMNS = ("reseller_org_number", "program", "start_date", "end_date")


class MissingColumnsError(ValueError):
    """The header lacks required columns; nothing was written."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Missing column(s): " + ", ".join(missing))


@dataclass
class MembershipImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Kept as WaitingMembership until the company registers: (line, number).
    unknown: list[tuple[int, str]] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


@dataclass(frozen=True)
class MembershipRow:
    line: int
    org_number: str
    program: str
    start_date: date
    end_date: date | None


def org_number_keys(value: str) -> set[str]:
    """The forms a stored organisation number may take for a number in a file."""
    stripped = " ".join(value.split())
    return {stripped, stripped.upper(), re.sub(r"[\s.-]", "", stripped).upper()}


def _parse_row(line: int, row: dict[str, str]) -> MembershipRow | str:
    # PostgreSQL refuses NUL in text; a row carrying one is bad input, not a crash.
    if any("\x00" in (value or "") for value in row.values() if isinstance(value, str)):
        return "contains a NUL character, which cannot be stored"
    org_number = (row.get("reseller_org_number") or "").strip()
    program = (row.get("program") or "").strip()
    if not org_number:
        return "reseller_org_number is empty"
    if not program:
        return "program is empty"
    try:
        start = date.fromisoformat((row.get("start_date") or "").strip())
    except ValueError:
        return f"start_date {row.get('start_date')!r} is not a date (YYYY-MM-DD)"
    end_text = (row.get("end_date") or "").strip()
    try:
        end = date.fromisoformat(end_text) if end_text else None
    except ValueError:
        return f"end_date {end_text!r} is not a date (YYYY-MM-DD)"
    if end is not None and end < start:
        return f"end_date {end} is before start_date {start}"
    return MembershipRow(line, org_number, program, start, end)


def memberships_import(lines: Iterable[str]) -> MembershipImportReport:
    """Read the CSV text and upsert its memberships in one transaction."""
    reader = csv.DictReader(lines)
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [column for column in MEMBERSHIP_COLUMNS if column not in header]
    if missing:
        raise MissingColumnsError(missing)
    reader.fieldnames = header
    report = MembershipImportReport()
    rows: list[MembershipRow] = []
    for row in reader:
        parsed = _parse_row(reader.line_num, row)
        if isinstance(parsed, str):
            report.malformed.append((reader.line_num, parsed))
        else:
            rows.append(parsed)

    keys = set().union(*(org_number_keys(row.org_number) for row in rows))
    by_number: dict[str, list[Reseller]] = {}
    for reseller in Reseller.objects.filter(org_number__in=keys):
        by_number.setdefault(reseller.org_number, []).append(reseller)

    with transaction.atomic():
        for row in rows:
            matches = {
                r.pk: r
                for key in org_number_keys(row.org_number)
                for r in by_number.get(key, [])
            }
            if not matches:
                report.unknown.append((row.line, row.org_number))
                WaitingMembership.objects.update_or_create(
                    org_number_key=org_number_match_key(row.org_number),
                    program=row.program,
                    start_date=row.start_date,
                    defaults={"org_number": row.org_number, "end_date": row.end_date},
                )
                continue
            if len(matches) > 1:
                report.malformed.append(
                    (
                        row.line,
                        f"{row.org_number} matches resellers in several countries",
                    )
                )
                continue
            (reseller,) = matches.values()
            membership, created = ProgramMembership.objects.get_or_create(
                reseller=reseller,
                program=row.program,
                start_date=row.start_date,
                defaults={"end_date": row.end_date},
            )
            if created:
                report.created += 1
            elif membership.end_date != row.end_date:
                membership.end_date = row.end_date
                membership.save(update_fields=["end_date"])
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def memberships_waiting_apply(*, reseller: Reseller) -> int:
    """Turn the memberships kept for this company's organisation number into
    its ProgramMemberships (in the caller's transaction); how many applied.

    Called when a company registers and when its number is corrected.
    """
    waiting = list(
        WaitingMembership.objects.select_for_update().filter(
            org_number_key=org_number_match_key(reseller.org_number)
        )
    )
    for row in waiting:
        ProgramMembership.objects.update_or_create(
            reseller=reseller,
            program=row.program,
            start_date=row.start_date,
            defaults={"end_date": row.end_date},
        )
    WaitingMembership.objects.filter(pk__in=[row.pk for row in waiting]).delete()
    return len(waiting)

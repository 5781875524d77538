"""Every admin action of every registered ModelAdmin, and who may run it.

Used by test_staff_access.py against the table in docs/security.md.
"""

import re
from pathlib import Path

from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from tests.resellers.factories import StaffUserFactory

GROUPS = ["Reviewers", "Program managers", "Operators"]
SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
TABLE_HEADING = "## Who may run each admin action"
YES, NO = "yes", "—"


def registered_actions() -> list[tuple[str, str, object]]:
    """(model label, action name, function) of every action in admin."""
    found = []
    for model, model_admin in admin.site._registry.items():
        for function, name, _description in model_admin._get_base_actions():
            found.append((model._meta.label_lower, name, function))
    return sorted(found, key=lambda row: row[:2])


def actions_allowed_to(user) -> set[tuple[str, str]]:
    """(model label, action) pairs `user` may run: they can open the list and
    the action passes its declared permissions."""
    request = RequestFactory().get("/admin/")
    request.user = user
    allowed = set()
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        for name in model_admin.get_actions(request):
            allowed.add((model._meta.label_lower, name))
    return allowed


def group_member(group_name: str):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def actual_matrix() -> dict[tuple[str, str], dict[str, bool]]:
    per_group = {name: actions_allowed_to(group_member(name)) for name in GROUPS}
    return {
        (label, name): {group: (label, name) in per_group[group] for group in GROUPS}
        for label, name, _function in registered_actions()
    }


def documented_matrix(text: str | None = None) -> dict[tuple[str, str], dict]:
    """The table under TABLE_HEADING in docs/security.md, parsed."""
    text = text if text is not None else SECURITY_DOC.read_text()
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    matrix = {}
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        label, name = (re.sub(r"`", "", cell) for cell in cells[:2])
        matrix[(label, name)] = {
            group: cell == YES for group, cell in zip(GROUPS, cells[2:5], strict=True)
        }
    return matrix


def matrix_as_table(matrix) -> str:
    lines = [
        "| admin | action | " + " | ".join(GROUPS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in GROUPS) + " |",
    ]
    for (label, name), who in sorted(matrix.items()):
        cells = " | ".join(YES if who[group] else NO for group in GROUPS)
        lines.append(f"| `{label}` | `{name}` | {cells} |")
    return "\n".join(lines)

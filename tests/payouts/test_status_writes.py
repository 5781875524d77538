"""Only the services write a payout's or a claim's status (STYLE.md): the
source is scanned for status writes, so a new one elsewhere fails here."""

import ast
from pathlib import Path

from tests.conftest import ROOT

# Where each model's status may be written.
PAYOUT_WRITERS = "payouts/services/"
CLAIM_WRITERS = "claims/services/transitions.py"
# The write both state machines share; only their transitions modules call it.
KERNEL_WRITER = "cashback/transitions.py"
TRANSITIONS_MODULES = {"payouts/services/transitions.py", CLAIM_WRITERS}
# Other models' own state, written by their own app's job modules.
OTHER_MODELS = {
    "claims/ledger_import.py": "AgreementImport",
    # A reward adjustment's own state; the claim moves through claim_move.
    "claims/services/corrections.py": "RewardAdjustment",
}


def _is_status_list(node: ast.AST) -> bool:
    return isinstance(node, ast.List | ast.Tuple) and any(
        isinstance(item, ast.Constant) and item.value == "status" for item in node.elts
    )


def _writes_status(node: ast.AST) -> bool:
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(target, ast.Attribute) and target.attr == "status"
            for target in targets
        )
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return (
            node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "status"
        )
    if not isinstance(node.func, ast.Attribute):
        return False
    name = node.func.attr
    keywords = {k.arg: k.value for k in node.keywords}
    if name == "update":
        return "status" in keywords
    if name == "bulk_update":
        return any(_is_status_list(arg) for arg in [*node.args, *keywords.values()])
    if name == "save":
        return _is_status_list(keywords.get("update_fields"))
    return False


def status_writes(tree: ast.AST) -> list[int]:
    """Lines that write a `status`: an assignment to `.status`, a keyword
    `status=` to update, `status` in the fields of
    bulk_update or save(update_fields=...), setattr(obj, "status", ...)."""
    return sorted({node.lineno for node in ast.walk(tree) if _writes_status(node)})


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "bench/")) or "/migrations/" in (
            relative
        ):
            continue
        yield relative, path


def _mentions(path: Path, names: set[str]) -> bool:
    text = path.read_text()
    return any(name in text for name in names)


def test_the_scanner_finds_the_services_own_writes():
    """The scan is not blind: it sees `_move`'s writes in both services."""
    for relative in ("payouts/services/transitions.py", KERNEL_WRITER):
        tree = ast.parse((ROOT / relative).read_text())
        assert status_writes(tree), relative
    sample = ast.parse(
        "Payout.objects.filter(pk=1).update(status='paid')\n"
        "payout.status = 'paid'\n"
        "Payout.objects.bulk_update(rows, ['status'])\n"
        "payout.save(update_fields=['status'])\n"
    )
    assert status_writes(sample) == [1, 2, 3, 4]


def test_no_module_outside_the_services_writes_a_payout_or_claim_status():
    """Outside payouts/services/, claims/services/transitions.py and the
    kernel's status_move, a module that writes a status at all works on
    neither payouts nor claims."""
    offenders = []
    for relative, path in _modules():
        if relative.startswith(PAYOUT_WRITERS) or relative in {
            CLAIM_WRITERS,
            KERNEL_WRITER,
        }:
            continue
        lines = status_writes(ast.parse(path.read_text()))
        if not lines:
            continue
        in_payouts_or_claims = relative.startswith(("payouts/", "claims/"))
        other_model = OTHER_MODELS.get(relative)
        if other_model and _mentions(path, {other_model}):
            continue
        if in_payouts_or_claims or _mentions(path, {"Payout", "Claim"}):
            offenders.append(f"{relative}:{lines}")
    assert offenders == []


def test_only_the_transitions_modules_call_the_kernels_status_write():
    """`cashback.transitions.status_move` writes any model's status: only the
    claims and payouts transitions modules call it, after checking the move."""
    callers = [
        relative
        for relative, path in _modules()
        if relative != KERNEL_WRITER and "status_move(" in path.read_text()
    ]
    assert sorted(callers) == sorted(TRANSITIONS_MODULES)

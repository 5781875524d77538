"""The status of each stateful model is written by one module only, its
transitions (or, for a model without a state machine of its own, the one
service module that owns it) (STYLE.md): the source is scanned for status
writes, so a new one elsewhere fails here."""

import ast
import shutil
from pathlib import Path

from tests.conftest import ROOT

# The write the state machines share; only their transitions modules call it.
KERNEL_WRITER = "cashback/transitions.py"
# Each module that may write a `status`, and the models whose status it writes.
WRITERS = {
    KERNEL_WRITER: set(),  # any model, for the transitions modules below
    "claims/services/transitions.py": {"Claim"},
    "payouts/services/transitions.py": {"Payout", "PaymentBatch"},
    # A reward adjustment's own state (pending, applied, superseded).
    "claims/services/corrections.py": {"RewardAdjustment"},
    # An upload's own state (running, done, failed), written by its job.
    "claims/ledger_import/runs.py": {"AgreementImport"},
    "offers/services.py": {"Offer"},
    "resellers/services/companies.py": {"Reseller"},
    # A copy of a person's data: its own state (being prepared, ready).
    "portal/privacy/export.py": {"DataExport"},
}
TRANSITIONS_MODULES = {
    "offers/services.py",
    "claims/services/transitions.py",
    "payouts/services/transitions.py",
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


def project_modules(root: Path):
    """The project's own modules (not the tests, the benchmark, migrations)."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv/", "tests/")) or "/migrations/" in (relative):
            continue
        yield relative, path


def status_offenders(root: Path) -> list[str]:
    """Every `module:[lines]` that writes a status outside WRITERS."""
    offenders = []
    for relative, path in project_modules(root):
        if relative in WRITERS:
            continue
        lines = status_writes(ast.parse(path.read_text()))
        if lines:
            offenders.append(f"{relative}:{lines}")
    return offenders


def test_the_scanner_finds_the_writers_own_writes():
    """The scan is not blind: it sees each writer's own writes (or its call
    of the kernel's), and each writer names the models it is the writer of."""
    for relative, models in WRITERS.items():
        text = (ROOT / relative).read_text()
        # A transitions module may write only through the kernel's status_move.
        assert status_writes(ast.parse(text)) or "status_move(" in text, relative
        assert all(model in text for model in models), relative
    sample = ast.parse(
        "Payout.objects.filter(pk=1).update(status='paid')\n"
        "payout.status = 'paid'\n"
        "Payout.objects.bulk_update(rows, ['status'])\n"
        "payout.save(update_fields=['status'])\n"
    )
    assert status_writes(sample) == [1, 2, 3, 4]


def test_no_module_but_its_writer_writes_a_models_status():
    """Outside WRITERS no module writes a `status` at all, of any model."""
    assert status_offenders(ROOT) == []


def test_a_status_written_anywhere_else_is_found(tmp_path):
    """A write planted in a view (a claim approved by hand) fails the check."""
    for relative in ("claims/views.py", *WRITERS):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, target)
    assert status_offenders(tmp_path) == []
    planted = tmp_path / "claims/views.py"
    planted.write_text(
        planted.read_text() + "\n\ndef approve(claim):\n    claim.status = 'approved'\n"
    )
    assert status_offenders(tmp_path) == [
        f"claims/views.py:[{len(planted.read_text().splitlines())}]"
    ]


def test_only_the_transitions_modules_call_the_kernels_status_write():
    """`cashback.transitions.status_move` writes any model's status: only the
    claims and payouts transitions modules and the offers' services call it,
    after checking the move."""
    callers = {
        relative
        for relative, path in project_modules(ROOT)
        if relative != KERNEL_WRITER and "status_move(" in path.read_text()
    }
    assert callers == TRANSITIONS_MODULES

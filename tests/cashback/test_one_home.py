"""One home per rule (issue 29): how a reason reads ("the code's label. the
words", "Other" only the words) lives in cashback/reasons.py, which each app's
helper calls with its own labels; the operators' staff group is named once."""

import ast

from cashback import reasons
from claims.models import EVENT_REASONS, reason_in_words
from payouts.models import BatchChangeReason, batch_reason_in_words
from tests.cashback.test_status_writes import project_modules
from tests.conftest import ROOT

KERNEL = "cashback/reasons.py"


def _module_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _calls_the_kernel(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "reason_in_words"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "reasons"
        for node in ast.walk(function)
    )


def test_the_operators_group_is_named_in_one_module():
    defining = [
        relative
        for relative, path in project_modules(ROOT)
        if "OPERATORS_GROUP" in _module_level_names(ast.parse(path.read_text()))
    ]
    assert defining == ["payouts/models/batches.py"]


def test_every_reason_in_words_outside_the_kernel_calls_the_kernel():
    """A helper that reads a reason in words binds its app's labels and calls
    cashback.reasons.reason_in_words; none writes the rule again."""
    helpers = {}
    for relative, path in project_modules(ROOT):
        if relative == KERNEL:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.endswith("reason_in_words")
                and not node.name.startswith("decision_")  # a model's property
            ):
                helpers[f"{relative}:{node.name}"] = _calls_the_kernel(node)
    assert helpers == {
        "claims/models.py:reason_in_words": True,
        "payouts/models/batches.py:batch_reason_in_words": True,
    }


def test_the_apps_reasons_read_as_the_kernel_says():
    """A code's label then the words; "other" only the words; in both apps."""
    for code, words in [("calculation_error", "Twice."), ("other", "Only words.")]:
        assert reason_in_words(code, words) == reasons.reason_in_words(
            code, words, EVENT_REASONS
        )
    assert reason_in_words("other", "Only words.") == "Only words."
    labels = dict(BatchChangeReason.choices)
    assert batch_reason_in_words("wrong_amount", "Typo.") == (
        f"{labels['wrong_amount']}. Typo."
    )
    assert batch_reason_in_words("other", "Only words.") == "Only words."


def test_the_rule_that_a_decision_needs_words_is_written_once():
    """A refusal for missing words is raised by cashback.reasons only: no app
    module defines its own "reason required" check."""
    own_checks = [
        f"{relative}:{node.name}"
        for relative, path in project_modules(ROOT)
        if relative != KERNEL
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and "reason_required" in node.name
    ]
    assert own_checks == []

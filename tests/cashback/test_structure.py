"""No module of the project is longer than a newcomer reads in one sitting
(issue 29): above 600 lines a file is split into a package of one module per
concern, re-exported from its `__init__`. Migrations and tests are exempt."""

from pathlib import Path

from tests.conftest import ROOT

MAX_LINES = 600
# Generated or not ours: migrations, the virtual environment, runtime data.
SKIPPED_PARTS = {"migrations", "node_modules", "var", "__pycache__"}


def long_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """`path: lines` for each of the project's .py files above `limit` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] == "tests" or any(
            part.startswith(".") or part in SKIPPED_PARTS or part.endswith(".egg-info")
            for part in parts
        ):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(root).as_posix()}: {lines}")
    return found


def test_no_module_outside_migrations_and_tests_is_above_600_lines():
    assert long_modules(ROOT) == []


def test_a_long_module_is_found_and_migrations_tests_and_the_venv_are_not(tmp_path):
    """The scan is not blind: a long module of an app (or of the benchmark) is
    listed, one just at the limit is not, nor are long migrations, tests or
    installed packages."""
    long = "x = 1\n" * (MAX_LINES + 1)
    for relative in (
        "payouts/services/big.py",
        "bench/big.py",
        "payouts/migrations/0001_initial.py",
        "tests/payouts/test_big.py",
        ".venv/lib/python3.12/site-packages/django/big.py",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(long)
    (tmp_path / "payouts" / "at_limit.py").write_text("x = 1\n" * MAX_LINES)
    assert long_modules(tmp_path) == [
        f"bench/big.py: {MAX_LINES + 1}",
        f"payouts/services/big.py: {MAX_LINES + 1}",
    ]

"""No module imports another module's private names (STYLE.md): what two
modules share is public in a third. import-linter checks modules, not names,
so the project's source is scanned here: `from x import _name`, and
`module._name` on a module this one imported."""

import ast
from pathlib import Path

from tests.cashback.test_status_writes import project_modules
from tests.conftest import ROOT

PACKAGES = ("cashback", "resellers", "offers", "claims", "payouts", "portal", "bench")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _absolute(relative: str, node: ast.ImportFrom) -> str:
    """The imported module's dotted name, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = relative.removesuffix(".py").split("/")
    base = package[: len(package) - node.level]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_project_module(dotted: str, root: Path) -> bool:
    path = root.joinpath(*dotted.split("."))
    return dotted.startswith(PACKAGES) and (
        path.with_suffix(".py").exists() or (path / "__init__.py").exists()
    )


def private_imports(relative: str, tree: ast.AST, root: Path) -> list[str]:
    """`line: what` for each private name this module takes from another."""
    found = []
    modules = {}  # a local name bound to one of the project's modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(relative, node)
            if not _is_project_module(source, root):
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: from {source} import {alias.name}")
                elif _is_project_module(f"{source}.{alias.name}", root):
                    modules[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and _is_project_module(alias.name, root):
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"{node.lineno}: {modules[node.value.id]}.{node.attr}")
    return found


def private_name_offenders(root: Path) -> list[str]:
    offenders = []
    for relative, path in project_modules(root):
        for where in private_imports(relative, ast.parse(path.read_text()), root):
            offenders.append(f"{relative}:{where}")
    return offenders


def test_no_module_imports_another_modules_private_names():
    """Every app (and the benchmark) keeps its private names to their module."""
    assert private_name_offenders(ROOT) == []


def test_a_private_import_is_found(tmp_path):
    """Both ways a private name is taken are caught: imported by name, and
    read off an imported module."""
    (tmp_path / "claims" / "services").mkdir(parents=True)
    for name in ("claims/__init__.py", "claims/services/__init__.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "claims/services/filing.py").write_text("def _hidden(): pass\n")
    (tmp_path / "claims/views.py").write_text(
        "from .services import filing\n"
        "from .services.filing import _hidden\n"
        "filing._hidden()\n"
    )
    assert private_name_offenders(tmp_path) == [
        "claims/views.py:2: from claims.services.filing import _hidden",
        "claims/views.py:3: claims.services.filing._hidden",
    ]

"""The public API is exactly what ``__all__`` says, and every public name is documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import resolvekit

PACKAGE_DIR = Path(resolvekit.__file__).parent


def _modules() -> list[str]:
    names = ["resolvekit"]
    for info in pkgutil.walk_packages(resolvekit.__path__, "resolvekit."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def test_all_is_exactly_the_public_names_of_the_package() -> None:
    public = {name for name in dir(resolvekit) if not name.startswith("_") and not isinstance(getattr(resolvekit, name), ModuleType)}
    exported = set(resolvekit.__all__)
    assert len(resolvekit.__all__) == len(exported), "__all__ lists a name twice"
    assert public - exported == set(), "public names missing from resolvekit.__all__"
    assert {n for n in exported if not n.startswith("__")} - public == set(), "__all__ names that do not exist"
    assert all(hasattr(resolvekit, name) for name in exported)


def _attribute_docstring(name: str) -> str | None:
    """The string literal right after a module-level ``name = ...`` anywhere in the package."""
    for path in PACKAGE_DIR.rglob("*.py"):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for statement, following in zip(body, body[1:]):
            targets = statement.targets if isinstance(statement, ast.Assign) else (
                [statement.target] if isinstance(statement, ast.AnnAssign) else []
            )
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                    if isinstance(following.value.value, str) and following.value.value.strip():
                        return following.value.value
    return None


@pytest.mark.parametrize("name", sorted(resolvekit.__all__))
def test_every_exported_name_has_a_docstring(name: str) -> None:
    value = getattr(resolvekit, name)
    if inspect.isclass(value):
        doc = value.__dict__.get("__doc__")
    elif inspect.isfunction(value) or inspect.ismethod(value):
        doc = value.__doc__
    else:
        doc = _attribute_docstring(name)
    assert doc and doc.strip(), f"resolvekit.{name} has no docstring"


@pytest.mark.parametrize("module_name", _modules())
def test_every_module_declares_all(module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # an optional backend whose driver is not installed
        pytest.skip(f"{module_name} needs an optional dependency: {exc}")
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names that do not exist: {missing}"
    assert module.__doc__, f"{module_name} has no module docstring"


def test_importing_resolvekit_leaves_heavy_dependencies_for_later() -> None:
    """babel (catalogs, currencies) and python-statemachine (the declared lifecycles) load on first use."""
    probe = "import sys, resolvekit; print(' '.join(m for m in ('babel', 'statemachine') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"`import resolvekit` imported {loaded}; import them inside the functions that need them"
    assert resolvekit.ComplaintLifecycle.__name__ == "ComplaintLifecycle"  # still importable on demand


SUBPACKAGES = ["resolvekit.simulation", "resolvekit.testing", "resolvekit.testing.strategies", "resolvekit.testing.pytest_plugin", "resolvekit.cli"]


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_every_name_a_subpackage_exports_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = {n for n in dir(module) if not n.startswith("_") and not isinstance(getattr(module, n), ModuleType)}
    exported = set(module.__all__)
    undocumented = []
    for name in sorted(exported):
        value = getattr(module, name)
        if inspect.isclass(value):
            doc = value.__dict__.get("__doc__")
        elif callable(value):
            doc = getattr(value, "__doc__", None)
        else:
            doc = _attribute_docstring(name)
        if not (doc and doc.strip()):
            undocumented.append(name)
    assert not undocumented, f"{module_name} exports names without a docstring: {undocumented}"
    assert exported <= public | {"StorageConformance"}, f"{module_name}.__all__ names that do not exist: {exported - public}"

"""Every module of ``driftline/`` says what it exports, completely and in ruff's RUF022 order.

Checked on the source (nothing is imported): ``__all__`` is a literal list or tuple of strings;
each name in it is bound at the top level (defined, assigned or imported, ``if
TYPE_CHECKING:`` blocks included, which is how a lazy ``__getattr__`` export is typed); each
public class, function and capitalised constant or type alias the module defines is listed
(lowercase variables such as a logger, and type variables, need not be); and the order is
ruff's isort-style sort, so ``ruff check --select RUF022`` agrees.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "driftline"
MODULES = sorted(PACKAGE.rglob("*.py"))
TYPE_VARIABLES = {"TypeVar", "ParamSpec", "TypeVarTuple"}


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _top_level(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    """The statements that run at import: through if / try / with blocks, not into defs."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.With):
            yield from _top_level(node.body)
            yield from _top_level(getattr(node, "orelse", []))
        elif isinstance(node, ast.Try):
            yield from _top_level([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                yield from _top_level(handler.body)


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if type(node).__name__ == "TypeAlias":  # ``type X = ...`` (Python 3.12)
        return [node.name.id]  # type: ignore[attr-defined]
    return []


def _is_type_variable(node: ast.stmt) -> bool:
    value = getattr(node, "value", None)
    func = value.func if isinstance(value, ast.Call) else None
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in TYPE_VARIABLES


def bound_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        else:
            names.update(_assigned(node))
    return names


def public_definitions(tree: ast.Module) -> set[str]:
    """Public classes, functions and capitalised constants / type aliases defined here."""
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif not _is_type_variable(node):
            names.update(n for n in _assigned(node) if n[:1].isupper())
    return {n for n in names if not n.startswith("_")}


def declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 \
            else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "__all__":
            value = ast.literal_eval(node.value)  # type: ignore[attr-defined]
            assert isinstance(value, list | tuple), "__all__ is not a list or tuple literal"
            assert all(isinstance(v, str) for v in value), "__all__ holds a non-string"
            return list(value)
    return None


def _member_type(name: str) -> int:
    """ruff's isort-style groups: SCREAMING_CASE, then CamelCase, then everything else."""
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        return 0
    return 1 if name[:1].isupper() else 2


def _natural(name: str) -> list[tuple[int, int]]:
    """Character codes, with each run of digits one number (ruff's natord comparison)."""
    return [(0, int(part)) if part.isdigit() else (1, ord(part))
            for part in re.findall(r"\d+|\D", name)]


def ruff_order(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda n: (_member_type(n), _natural(n)))


# -- the sort key checks itself against ruff's documented behaviour -----------------------------
def test_ruff_order_is_isort_style_with_natural_numbers() -> None:
    # what `ruff check --select RUF022 --fix` (0.17) makes of the same names
    shuffled = ["b10", "b9", "B", "X", "AB_C", "Abc", "__version__", "_p", "a", "HTTP2",
                "Http2", "ABc", "b_a", "bA", "ba", "B9", "B10", "A_1", "item2", "Item", "x",
                "T", "TT"]
    assert ruff_order(shuffled) == [
        "AB_C", "A_1", "B9", "B10", "HTTP2", "TT", "ABc", "Abc", "B", "Http2", "Item", "T",
        "X", "__version__", "_p", "a", "b9", "b10", "bA", "b_a", "ba", "item2", "x"]


def test_the_checks_see_what_a_module_binds() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING, TypeVar\nimport os.path\n"
        "if TYPE_CHECKING:\n    from x import Lazy\n"
        "T = TypeVar('T')\nLIMIT = 3\nColumns = dict[str, int]\nlog = 1\n"
        "def f(): inner = 1\nclass C: attr = 2\n_hidden = 0\n__all__ = ['C', 'f']\n")
    assert bound_names(tree) >= {"Lazy", "os", "T", "LIMIT", "Columns", "log", "f", "C"}
    assert "inner" not in bound_names(tree) and "attr" not in bound_names(tree)
    assert public_definitions(tree) == {"LIMIT", "Columns", "f", "C"}
    assert declared_all(tree) == ["C", "f"]


# -- every module -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_module_defines_all(path: Path) -> None:
    assert declared_all(_tree(path)) is not None, f"{_id(path)} has no __all__"


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_every_exported_name_exists(path: Path) -> None:
    tree = _tree(path)
    exported = declared_all(tree) or []
    missing = sorted(set(exported) - bound_names(tree))
    assert not missing, f"{_id(path)}: __all__ names {missing}, which it does not bind"
    duplicates = sorted({n for n in exported if exported.count(n) > 1})
    assert not duplicates, f"{_id(path)}: __all__ lists {duplicates} twice"


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_every_public_definition_is_exported(path: Path) -> None:
    tree = _tree(path)
    unlisted = sorted(public_definitions(tree) - set(declared_all(tree) or []))
    assert not unlisted, (
        f"{_id(path)} defines {unlisted} without listing them in __all__ "
        "(list them, or make them private with a leading underscore)")


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_all_is_in_ruff_order(path: Path) -> None:
    exported = declared_all(_tree(path)) or []
    assert exported == ruff_order(exported), (
        f"{_id(path)}: __all__ should read {ruff_order(exported)}")

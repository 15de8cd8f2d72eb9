"""The dependency direction of DESIGN.md, checked on the real import graph of ``driftline/``.

Every module is parsed (never imported); every import counts, those inside functions too, and
relative imports are resolved. Imports under ``if TYPE_CHECKING:`` are left out of the runtime
graph (they are how a type-only cycle is broken) but still count for the ``api`` rule. The
package graph has one node per first component under ``driftline`` (``detector``, ``storage``,
``engine``, ``api``, ``cli``, ``errors`` ...), and the SDK package is a node of its own wherever
it lives (``sdk``, or ``ingest.sdk`` before the move).
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "driftline"
STDLIB = frozenset(sys.stdlib_module_names)
# the SDK package, after or before its move out of ingest/
SDK_PACKAGES = tuple(
    name for name in ("driftline.sdk", "driftline.ingest.sdk")
    if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
)
SDK_EXTERNAL = frozenset({"httpx", "orjson"})
HEAVY = ("numpy", "pandas", "pyarrow", "chdb", "clickhouse_driver", "fastapi", "scipy")


@dataclass(frozen=True)
class Import:
    """One imported module, as ``importer`` names it once resolved."""

    importer: str
    target: str
    line: int
    module_level: bool  # runs when the importer is imported (not inside a function)
    type_only: bool  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


# -- the graph --------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer.split(".")
    if modules()[importer].name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = _resolve(importer, node)
    for alias in node.names:
        # ``from driftline.ingest import sdk`` imports the module driftline.ingest.sdk
        sub = f"{base}.{alias.name}"
        yield sub if sub in modules() else base


def _walk(importer: str, body: Iterable[ast.stmt], *, module_level: bool, type_only: bool
          ) -> Iterator[Import]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(importer, node):
                yield Import(importer, target, node.lineno, module_level, type_only)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(importer, node.body, module_level=module_level, type_only=True)
            yield from _walk(importer, node.orelse, module_level=module_level,
                             type_only=type_only)
            continue
        # a function body runs when called; a class, if, try, with or match body at import
        level = module_level and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, None) or ():
                # an except handler or a match case holds statements of its own
                stmts = (child.body if isinstance(child, ast.ExceptHandler | ast.match_case)
                         else [child])
                yield from _walk(importer, stmts, module_level=level, type_only=type_only)


@cache
def imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        found.extend(_walk(name, tree.body, module_level=True, type_only=False))
    return tuple(found)


def runtime_imports() -> list[Import]:
    return [imp for imp in imports() if not imp.type_only]


def package_of(module: str) -> str:
    """``driftline.storage.chdb`` -> ``storage``; the SDK package is a node of its own."""
    for sdk in SDK_PACKAGES:
        if module == sdk or module.startswith(sdk + "."):
            return sdk.removeprefix("driftline.")
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_ours(target: str) -> bool:
    return target == "driftline" or target.startswith("driftline.")


def package_graph(edges: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package_of(m): set() for m in modules()}
    for imp in edges:
        if _is_ours(imp.target):
            source, target = package_of(imp.importer), package_of(imp.target)
            if source != target:
                graph[source].add(target)
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of ``graph`` as its nodes with the first repeated at the end, or None."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path, on_path = [root], {root}
        stack = [iter(sorted(graph.get(root, ())))]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif node in on_path:
                return [*path[path.index(node):], node]
            elif node not in done:
                path.append(node)
                on_path.add(node)
                stack.append(iter(sorted(graph.get(node, ()))))
    return None


def _witnesses(cycle: list[str], edges: Iterable[Import]) -> list[str]:
    """One import statement per edge of the cycle, to say where to cut it."""
    pairs = set(itertools.pairwise(cycle))
    first: dict[tuple[str, str], Import] = {}
    for imp in edges:
        pair = (package_of(imp.importer), package_of(imp.target))
        if _is_ours(imp.target) and pair in pairs and pair not in first:
            first[pair] = imp
    return [str(first[pair]) for pair in itertools.pairwise(cycle)]


# -- the cycle finder checks itself -------------------------------------------------------------
def test_find_cycle_finds_a_cycle_in_a_hand_made_graph() -> None:
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"x"}}) == ["x", "x"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"b", "c"}}) is None


def test_the_parser_sees_relative_function_level_and_type_only_imports() -> None:
    assert len(modules()) > 20 and len(imports()) > 100
    assert any(i.type_only for i in imports())
    assert any(not i.module_level and _is_ours(i.target) for i in imports())
    assert all(not i.target.startswith(".") and i.target for i in imports())
    assert heavy_chains()["driftline.detector.ks"][-1] == "numpy"


def test_relative_imports_resolve_against_the_importing_module() -> None:
    def resolved(importer: str, statement: str) -> list[str]:
        node = ast.parse(statement).body[0]
        assert isinstance(node, ast.ImportFrom)
        return list(_targets(importer, node))

    assert resolved("driftline.detector.ks", "from ._base import X") == [
        "driftline.detector._base"]
    assert resolved("driftline.detector", "from . import ks") == ["driftline.detector.ks"]
    assert resolved("driftline.detector.streaming.adwin", "from .. import errors_x") == [
        "driftline.detector"]
    assert resolved("driftline.detector.streaming.adwin", "from ...errors import E") == [
        "driftline.errors"]


# -- the rules ----------------------------------------------------------------------------------
def test_no_cycle_between_packages() -> None:
    edges = runtime_imports()
    cycle = find_cycle(package_graph(edges))
    assert cycle is None, (
        f"package cycle {' -> '.join(cycle)}:\n  " + "\n  ".join(_witnesses(cycle, edges)))


# modules of ``detector`` that may import a library of the ``server`` extra inside functions
# (lazily: importing ``driftline.detector`` does not load it), and which library
LAZY_DETECTOR_IMPORTS = {"driftline.detector.classifier": {"sklearn"}}


def test_detector_imports_numpy_scipy_river_stdlib_only() -> None:
    allowed = {"numpy", "scipy", "river"} | STDLIB
    bad = [
        str(imp) for imp in runtime_imports()
        if package_of(imp.importer) == "detector"
        and imp.target.split(".")[0] not in allowed
        and package_of(imp.target) not in {"detector", "errors", "feature_kinds"}
        and not (not imp.module_level
                 and imp.target.split(".")[0] in LAZY_DETECTOR_IMPORTS.get(imp.importer, ()))
    ]
    assert not bad, "\n".join(bad)


def test_lazy_detector_imports_are_inside_functions() -> None:
    found = [imp for imp in runtime_imports()
             if imp.target.split(".")[0] in LAZY_DETECTOR_IMPORTS.get(imp.importer, ())]
    assert {imp.importer for imp in found} == set(LAZY_DETECTOR_IMPORTS), (
        "a lazy import listed in LAZY_DETECTOR_IMPORTS is gone")
    assert not [str(imp) for imp in found if imp.module_level]


def test_only_the_cli_imports_api() -> None:
    bad = [
        str(imp) for imp in imports()  # type-only imports too
        if package_of(imp.target) == "api" and _is_ours(imp.target)
        and imp.importer != "driftline.cli" and package_of(imp.importer) != "api"
    ]
    assert not bad, "\n".join(bad)


def test_storage_imports_no_engine_alerts_api_or_dashboards() -> None:
    above = {"engine", "alerts", "api", "dashboards"}
    bad = [
        str(imp) for imp in runtime_imports()
        if package_of(imp.importer) == "storage" and _is_ours(imp.target)
        and package_of(imp.target) in above
    ]
    assert not bad, "\n".join(bad)


def _loads(module: str) -> list[tuple[str, str]]:
    """What importing ``module`` runs at once: (where, target) for its parent packages and its
    module-level runtime imports."""
    parts = module.split(".")
    found = [(module, ".".join(parts[:i])) for i in range(1, len(parts))]
    return found + [(f"{module}:{i.line}", i.target) for i in runtime_imports()
                    if i.importer == module and i.module_level]


@cache
def heavy_chains() -> dict[str, list[str]]:
    """Each driftline module that is not light, with the chain of imports that makes it so.

    Light: importing it runs module-level imports of the standard library, httpx, orjson and
    light driftline modules only (its parent packages included). Computed as a fixpoint, so an
    import cycle of light modules stays light.
    """
    chains: dict[str, list[str]] = {}
    for module in modules():
        for where, target in _loads(module):
            if not _is_ours(target) and target.split(".")[0] not in STDLIB | SDK_EXTERNAL:
                chains[module] = [where, target]
                break
            if _is_ours(target) and target not in modules():
                chains[module] = [where, f"{target} (no such module)"]
                break
    changed = True
    while changed:
        changed = False
        for module in modules():
            if module in chains:
                continue
            for where, target in _loads(module):
                if target in chains:
                    chains[module] = [where, *chains[target]]
                    changed = True
                    break
    return chains


def test_there_is_one_sdk_package() -> None:
    assert SDK_PACKAGES, "no driftline/sdk (nor driftline/ingest/sdk) package"


@pytest.mark.parametrize("sdk", SDK_PACKAGES)
def test_sdk_imports_stdlib_httpx_orjson_and_light_modules_only(sdk: str) -> None:
    bad = {}
    for module in modules():
        if (module == sdk or module.startswith(sdk + ".")) and module in heavy_chains():
            bad[module] = " -> ".join(heavy_chains()[module])
    assert not bad, "\n".join(bad.values())


@pytest.mark.parametrize("module", [
    "driftline", *SDK_PACKAGES,
    *(f"{sdk}.exporters.http" for sdk in SDK_PACKAGES if f"{sdk}.exporters.http" in modules()),
])
def test_sdk_import_is_light(module: str) -> None:
    code = f"import sys, {module}; print([m for m in {list(HEAVY)!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", f"importing {module} loads {out}"

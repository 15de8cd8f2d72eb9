"""The dependency direction of DESIGN.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "driftline"
STDLIB = set(sys.stdlib_module_names)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def test_detector_imports_numpy_scipy_river_only() -> None:
    allowed_roots = {"numpy", "scipy", "river"} | STDLIB
    for path in _modules("detector"):
        for name in _imports(path):
            root = name.split(".")[0]
            ok = root in allowed_roots or name.startswith(("driftline.detector",
                                                           "driftline.errors"))
            assert ok, f"{path.relative_to(PACKAGE)} imports {name}"


def test_nothing_imports_api() -> None:
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "api" or rel.name == "cli.py":
            continue
        bad = [n for n in _imports(path) if n.startswith("driftline.api")]
        assert not bad, f"{rel} imports {bad}"


def test_alerts_do_not_import_api() -> None:
    for path in _modules("alerts"):
        assert not [n for n in _imports(path) if n.startswith("driftline.api")]


@pytest.mark.parametrize(
    "module", ["driftline", "driftline.ingest.sdk", "driftline.ingest.sdk.exporters.http"])
def test_sdk_import_is_light(module: str) -> None:
    heavy = ["numpy", "pandas", "pyarrow", "chdb", "clickhouse_driver", "fastapi", "scipy"]
    code = (f"import sys, {module}; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", f"importing {module} loads {out}"

"""Tests mirror the source tree file for file: ``driftline/a/b.py`` is tested in
``tests/a/test_b.py`` (``driftline/x.py`` in ``tests/test_x.py``).

Private ``_modules`` are tested through the public modules of their package, and
``__init__.py`` / ``__main__.py`` through what they export and run, so neither needs a file.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "driftline"
TESTS = ROOT / "tests"


def expected_test_file(module: Path) -> Path:
    relative = module.relative_to(PACKAGE)
    return TESTS / relative.parent / f"test_{relative.name}"


def public_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not p.name.startswith("_"))


def test_the_mapping_follows_the_tree() -> None:
    assert expected_test_file(PACKAGE / "wire.py") == TESTS / "test_wire.py"
    assert expected_test_file(PACKAGE / "api" / "routers" / "health.py") == (
        TESTS / "api" / "routers" / "test_health.py"
    )
    names = {p.name for p in public_modules()}
    assert "app.py" in names
    assert not {"__init__.py", "__main__.py", "_base.py"} & names


def test_every_public_module_has_its_test_file() -> None:
    missing = [
        (m.relative_to(ROOT), expected_test_file(m).relative_to(ROOT))
        for m in public_modules()
        if not expected_test_file(m).is_file()
    ]
    assert not missing, f"{len(missing)} modules have no test file:\n" + "\n".join(
        f"  {module} -> {test}" for module, test in missing
    )

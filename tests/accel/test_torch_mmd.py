"""The optional torch MMD path: registered with MMD's capabilities; same verdict as the CPU.

torch is optional hardware acceleration: the declaration is checked from the source without
torch, the numerics only where torch is installed.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from driftline.detector import MMDDetector, detector_capabilities

SOURCE = Path(__file__).resolve().parents[2] / "driftline" / "accel" / "torch_mmd.py"
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="torch is not installed (optional acceleration)")


def _registered_classes() -> dict[str, ast.ClassDef]:
    tree = ast.parse(SOURCE.read_text())
    found: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name)
                    and deco.func.id == "register_detector"):
                found[ast.literal_eval(deco.args[0])] = node
    return found


def test_mmd_torch_is_registered_as_an_mmd_detector_without_importing_torch() -> None:
    classes = _registered_classes()
    assert list(classes) == ["mmd_torch"]
    cls = classes["mmd_torch"]
    assert [b.id for b in cls.bases if isinstance(b, ast.Name)] == ["MMDDetector"]
    # it inherits MMD's declaration (multivariate, both kinds, MMD's sample cap) unchanged
    assert not [n for n in cls.body if isinstance(n, ast.AnnAssign | ast.Assign)
                and "capabilities" in ast.unparse(n)]
    caps = MMDDetector.capabilities
    assert caps == detector_capabilities("mmd")
    assert caps.multivariate and not caps.scores_from_counts


@needs_torch
def test_torch_matches_the_cpu_detector() -> None:
    from driftline.accel.torch_mmd import TorchMMDDetector
    from driftline.detector import get_detector

    rng = np.random.default_rng(3)
    reference = {"x": rng.normal(size=300), "y": rng.normal(size=300)}
    window = {"x": rng.normal(0.4, size=200), "y": rng.normal(size=200)}
    cpu = get_detector("mmd", n_permutations=50).fit(reference).score(window)
    torch_detector = get_detector("mmd_torch", n_permutations=50, device="cpu")
    assert isinstance(torch_detector, TorchMMDDetector)
    assert detector_capabilities("mmd_torch") == detector_capabilities("mmd")
    assert torch_detector.sample_cap == MMDDetector().sample_cap
    result = torch_detector.fit(reference).score(window)
    assert result.status == cpu.status
    assert result.statistic == pytest.approx(cpu.statistic, rel=1e-5)
    assert result.p_value == pytest.approx(cpu.p_value, abs=0.05)
    assert result.effect_size == pytest.approx(cpu.effect_size, rel=1e-5)
    assert result.details.keys() == cpu.details.keys()
    # the same statuses for too little data and the same pooled mode for small references
    tiny = get_detector("mmd_torch", device="cpu").fit({"x": [1.0], "y": [2.0]})
    assert tiny.score(window).status.value == "insufficient_data"
    small = get_detector("mmd_torch", device="cpu").fit({k: v[:10] for k, v in reference.items()})
    assert small.score(window).details["encoding"] == "pooled"

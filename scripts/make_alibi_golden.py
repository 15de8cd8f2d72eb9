"""Write tests/detector/golden/alibi_mmd_lsdd.json: alibi-detect's MMD and LSDD on seeded data.

alibi-detect is a test oracle only (Business Source License): it is never a dependency of
driftline. Run this script in a separate virtual environment outside the repository::

    python3 -m venv /work/alibi-venv
    /work/alibi-venv/bin/pip install torch==2.13.0 "alibi-detect[torch]==0.13.0"
    /work/alibi-venv/bin/python scripts/make_alibi_golden.py

The input arrays are stored in the JSON, so the tests do not depend on any random generator.
For LSDD the kernel centres are set to driftline's choice (the first ``n_kernel_centers``
entries of ``numpy.random.default_rng(seed).permutation(n_reference)``) so that both tools
compute the same statistic; alibi's per-call choice of the regularization is read from its log.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch  # type: ignore[import-not-found]
from alibi_detect.cd import LSDDDrift, MMDDrift  # type: ignore[import-not-found]
from alibi_detect.utils.pytorch.kernels import GaussianRBF  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "tests" / "detector" / "golden" / "alibi_mmd_lsdd.json"
N_REFERENCE, N_WINDOW, N_FEATURES = 200, 300, 5
N_PERMUTATIONS = 500
DETECTOR_SEED = 0  # driftline's ``seed`` setting, which fixes the LSDD kernel centres
LAMBDAS = [1.0 / 4**i for i in range(10)]


class _LambdaLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.values: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Using lambda value of"):
            logged = float(message.split()[4])
            self.values.append(min(LAMBDAS, key=lambda lam: abs(math.log(lam / logged))))


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240601)
    scale = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    loc = np.array([0.0, 5.0, -1.0, 10.0, 0.0])
    ref = loc + scale * rng.normal(size=(N_REFERENCE, N_FEATURES))
    same = loc + scale * rng.normal(size=(N_WINDOW, N_FEATURES))
    small = loc + scale * rng.normal(size=(N_WINDOW, N_FEATURES))
    small[:, 0] += 0.25
    large = loc + scale * rng.normal(size=(N_WINDOW, N_FEATURES))
    large[:, :2] += 0.8 * scale[:2]
    return {"reference": ref, "no_drift": same, "small_shift": small, "large_shift": large}


def _mmd(data: dict[str, np.ndarray], sigma: float | None) -> dict[str, Any]:
    torch.manual_seed(1)
    kwargs: dict[str, Any] = {} if sigma is None else {"sigma": np.array([sigma])}
    cd = MMDDrift(
        data["reference"], backend="pytorch", n_permutations=N_PERMUTATIONS, device="cpu", **kwargs
    )
    out: dict[str, Any] = {"sigma": float(cd._detector.kernel.sigma.detach().numpy()[0])}
    for name in ("no_drift", "small_shift", "large_shift"):
        p_value, mmd2, threshold = cd._detector.score(data[name])
        out[name] = {"statistic": mmd2, "p_value": p_value, "distance_threshold": threshold}
    return out


def _lsdd(data: dict[str, np.ndarray], log: _LambdaLog) -> dict[str, Any]:
    torch.manual_seed(2)
    cd = LSDDDrift(
        data["reference"], backend="pytorch", n_permutations=N_PERMUTATIONS, device="cpu"
    )
    det = cd._detector
    n_centers = det.n_kernel_centers
    order = np.random.default_rng(DETECTOR_SEED).permutation(N_REFERENCE)
    x_ref = torch.as_tensor(det.x_ref)
    det.kernel_centers = x_ref[order[:n_centers]]
    det.k_xc = det.kernel(x_ref[order[n_centers:]], det.kernel_centers)
    det.H = GaussianRBF(np.sqrt(2.0) * det.kernel.sigma)(det.kernel_centers, det.kernel_centers)
    out: dict[str, Any] = {
        "sigma": float(det.kernel.sigma.detach().numpy()[0]),
        "n_kernel_centers": int(n_centers),
        "center_index": order[:n_centers].tolist(),
    }
    for name in ("no_drift", "small_shift", "large_shift"):
        log.values.clear()
        p_value, lsdd, threshold = det.score(data[name])
        out[name] = {
            "statistic": lsdd,
            "p_value": p_value,
            "distance_threshold": threshold,
            "lambda": log.values[-1],
        }
    return out


def main() -> None:
    import alibi_detect  # type: ignore[import-not-found]

    log = _LambdaLog()
    logging.getLogger("alibi_detect").addHandler(log)
    logging.getLogger("alibi_detect").setLevel(logging.INFO)
    data = _data()
    golden = {
        "alibi_detect_version": alibi_detect.__version__,
        "torch_version": torch.__version__,
        "n_permutations": N_PERMUTATIONS,
        "detector_seed": DETECTOR_SEED,
        "data": {name: arr.tolist() for name, arr in data.items()},
        "mmd_median_sigma": _mmd(data, None),
        "mmd_fixed_sigma": _mmd(data, 3.0),
        "lsdd": _lsdd(data, log),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

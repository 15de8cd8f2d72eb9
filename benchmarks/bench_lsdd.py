"""LSDD permutation test: driftline vs alibi-detect (PyTorch backend, CPU).

    .venv/bin/python benchmarks/bench_lsdd.py [--sizes 5000] [--smoke]

100 permutations, d=20, seeded Gaussian data, n rows per side. Reports the one-off ``fit``
(alibi: the constructor) and the per-window time (alibi: ``score``, which also picks the
regularization on every call; driftline picks it once at ``fit``). alibi-detect runs in a
subprocess of ``/work/alibi-venv/bin/python`` (override with ``ALIBI_PYTHON``) and is skipped
with "alibi-detect not available" when missing; it is never imported here. The statistics
differ because the two tools choose different kernel centres at random. ``--smoke`` (CI):
n=300.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from driftline.detector.lsdd import LSDDDetector

ALIBI_PYTHON = Path(os.environ.get("ALIBI_PYTHON", "/work/alibi-venv/bin/python"))
N_FEATURES, N_PERMUTATIONS, N_WINDOWS = 20, 100, 3

ALIBI_SCRIPT = """
import json, sys, time
import numpy as np, torch
from alibi_detect.cd import LSDDDrift
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
n_perm, n_windows = int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
t0 = time.perf_counter()
cd = LSDDDrift(x, backend="pytorch", n_permutations=n_perm, device="cpu")
t1 = time.perf_counter()
for _ in range(n_windows):
    p, stat, thr = cd._detector.score(y)
t2 = time.perf_counter()
print(json.dumps({"fit_s": t1 - t0, "window_s": (t2 - t1) / n_windows, "p_value": p}))
"""


def frame(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"f{j}": x[:, j] for j in range(x.shape[1])}


def alibi(x: np.ndarray, y: np.ndarray) -> dict[str, float] | None:
    if not ALIBI_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "x.npy", Path(tmp) / "y.npy"]
        np.save(paths[0], x.astype(np.float32))
        np.save(paths[1], y.astype(np.float32))
        args = [str(ALIBI_PYTHON), "-c", ALIBI_SCRIPT, *map(str, paths)]
        done = subprocess.run(
            [*args, str(N_PERMUTATIONS), str(N_WINDOWS)], capture_output=True, text=True
        )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.sizes = [300]
    print(f"LSDD, d={N_FEATURES}, {N_PERMUTATIONS} permutations, n per side as listed")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        x, y = rng.normal(size=(n, N_FEATURES)), rng.normal(size=(n, N_FEATURES)) + 0.05
        detector = LSDDDetector(n_permutations=N_PERMUTATIONS, max_samples=n)
        t0 = time.perf_counter()
        detector.fit(frame(x))
        t1 = time.perf_counter()
        for _ in range(N_WINDOWS):
            result = detector.test(frame(y))
        window_s = (time.perf_counter() - t1) / N_WINDOWS
        print(
            f"n={n}: driftline fit {t1 - t0:.3f} s, per window {window_s:.3f} s, "
            f"p={result.p_value:.2f}"
        )
        ref = alibi(x, y)
        if ref is None:
            print("  alibi-detect not available")
            continue
        print(
            f"  alibi-detect init {ref['fit_s']:.3f} s, per window {ref['window_s']:.3f} s, "
            f"p={ref['p_value']:.2f}"
        )
        print(
            f"  speedup: fit {ref['fit_s'] / (t1 - t0):.1f}x, "
            f"per window {ref['window_s'] / window_s:.1f}x"
        )


if __name__ == "__main__":
    main()

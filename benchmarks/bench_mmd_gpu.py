"""MMD permutation test on a GPU: driftline's torch path vs its numpy path vs alibi-detect.

Run on a machine with PyTorch (and a GPU); alibi-detect is used when importable (a test-only
peer, never a dependency). d=20, 100 permutations, seeded synthetic data with a small shift.
Checks, and exits non-zero when one fails: the torch statistic equals the numpy statistic
(rel 1e-5) and the permuted statistics agree (abs 1e-6 relative to their scale).

    python benchmarks/bench_mmd_gpu.py --sizes 1000 5000 20000

``--smoke`` (CI): n=300 on whatever torch has (the CPU without a GPU), numpy beside it; without
torch it prints "no torch/GPU: skipped" and exits 0 (without ``--smoke``, exit 1).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

D = 20
PERMUTATIONS = 100


def data(n: int, seed: int = 0) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, D))
    y = rng.normal(size=(n, D))
    y[:, :3] += 0.1
    return x, y


def frame(a: np.ndarray[Any, Any]) -> dict[str, np.ndarray[Any, Any]]:
    return {f"f{i}": a[:, i] for i in range(a.shape[1])}


REPEATS = 3


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    """Best of ``REPEATS`` runs (the first run pays one-off costs such as CUDA warm-up)."""
    best, out = float("inf"), None
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, out


def alibi_run(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], sigma: float) -> Any:
    """alibi-detect's MMDDrift on the GPU, init + predict, best of ``REPEATS``."""
    import torch
    from alibi_detect.cd import MMDDrift

    xs, ys = x.astype(np.float32), y.astype(np.float32)

    def once() -> Any:
        detector = MMDDrift(xs, backend="pytorch", p_val=0.05, n_permutations=PERMUTATIONS,
                            sigma=np.array([sigma], dtype=np.float32), device="cuda")
        out = detector.predict(ys)
        torch.cuda.synchronize()
        return out["data"]["distance"]

    return timed(once)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--cpu-max", type=int, default=5000, help="largest n for the numpy path")
    parser.add_argument("--smoke", action="store_true", help="n=300, seconds (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.cpu_max = [300], 300
    try:
        import torch
    except ImportError:
        print("no torch/GPU: skipped (install torch to run the torch MMD path)")
        return 0 if args.smoke else 1

    logging.disable(logging.WARNING)  # alibi-detect warns about sigma on every init
    from driftline.accel.torch_mmd import TorchMMDDetector
    from driftline.detector import get_detector

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    print(f"MMD permutation test, d={D}, {PERMUTATIONS} permutations, n per side; torch on "
          f"{device}; numpy on this machine's CPU ({os.cpu_count()} cores); best of {REPEATS}")
    failures = 0
    settings = {"n_permutations": PERMUTATIONS, "max_samples": max(args.sizes)}
    warm_x, warm_y = data(500, 1)
    TorchMMDDetector(**settings).fit(frame(warm_x)).score(frame(warm_y))  # CUDA init
    for n in args.sizes:
        x, y = data(n)
        fx, fy = frame(x), frame(y)
        gpu = TorchMMDDetector(**settings)
        t_fit, _ = timed(gpu.fit, fx)
        t_gpu, res_gpu = timed(gpu.test, fy)
        line = f"n={n:6d}: torch fit {t_fit:.3f}s + test {t_gpu:.3f}s, mmd2={res_gpu.statistic:.6g}"
        if n <= args.cpu_max:
            cpu = get_detector("mmd", **settings)
            t_cfit, _ = timed(cpu.fit, fx)
            t_cpu, res_cpu = timed(cpu.test, fy)
            rel = abs(res_gpu.statistic - res_cpu.statistic) / abs(res_cpu.statistic)
            scale = float(np.abs(res_cpu.permuted).max())
            perm = float(np.abs(res_gpu.permuted - res_cpu.permuted).max()) / scale
            ok = rel < 1e-5 and perm < 1e-4
            failures += not ok
            line += (f" | numpy fit {t_cfit:.3f}s + test {t_cpu:.3f}s "
                     f"(x{(t_cfit + t_cpu) / (t_fit + t_gpu):.1f}); rel diff {rel:.1e}, "
                     f"permuted diff {perm:.1e} {'OK' if ok else 'MISMATCH'}")
        try:
            t_alibi, dist = alibi_run(x, y, gpu.fitted_bandwidth)
            line += f" | alibi-detect GPU {t_alibi:.3f}s (x{t_alibi / (t_fit + t_gpu):.1f})"
            line += f", mmd2 {float(dist):.6g}"
        except ImportError:
            line += " | alibi-detect not installed"
        except Exception as exc:  # no GPU for alibi, or out of memory at large n
            line += f" | alibi-detect: {type(exc).__name__}: {str(exc)[:80]}"
        print(line, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

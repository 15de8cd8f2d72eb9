"""CvM per window: fit once, then score windows; continuous and tied data, no drift and drift.

Run: ``python benchmarks/bench_cvm.py [--smoke]``. Prints the time per window of each case (the
median over its windows, robust to a busy machine) and the share of windows flagged. The cases:

* ``continuous``: 10k-row reference, 100 windows of 10k rows, standard normal (scipy's p-value);
* ``tied-1000``: the same sizes, integers 0..999 (1,000 distinct values: permutation p-value);
* ``tied-100k``: 100k rows each side, 1,000 distinct values, 10 windows;
* ``*-drift``: the window shifted (the p-value is small, so every permutation runs).

Only the public API is used, so the same script times an older checkout (``PYTHONPATH=...``).
``--smoke`` (CI): 1k rows, 3 windows.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from driftline.detector.cvm import CvMDetector

Draw = Callable[[np.random.Generator, int, float], np.ndarray]


def _normal(rng: np.random.Generator, size: int, shift: float) -> np.ndarray:
    return rng.normal(shift, 1.0, size)


def _tied(rng: np.random.Generator, size: int, shift: float) -> np.ndarray:
    return np.floor(rng.uniform(0.0, 1000.0, size) + 100.0 * shift).clip(0, 999)


CASES: list[tuple[str, Draw, int, int, float]] = [
    # name, data, rows per side, windows, shift
    ("continuous", _normal, 10_000, 100, 0.0),
    ("continuous-drift", _normal, 10_000, 100, 0.3),
    ("tied-1000", _tied, 10_000, 100, 0.0),
    ("tied-1000-drift", _tied, 10_000, 100, 1.0),
    ("tied-100k", _tied, 100_000, 10, 0.0),
    ("tied-100k-drift", _tied, 100_000, 10, 1.0),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    smoke = parser.parse_args().smoke
    print(f"{'case':<18} {'rows':>7} {'windows':>7} {'ms/window':>10} {'flagged':>8}")
    for name, draw, rows, windows, shift in CASES:
        if smoke:
            rows, windows = 1000, 3
        rng = np.random.default_rng(20240601)
        detector = CvMDetector(correction="none").fit({"x": draw(rng, rows, 0.0)})
        frames = [{"x": draw(rng, rows, shift)} for _ in range(windows)]
        times, flagged = [], 0
        for frame in frames:
            start = time.perf_counter()
            flagged += detector.score(frame).drifted
            times.append(time.perf_counter() - start)
        print(f"{name:<18} {rows:>7} {windows:>7} {np.median(times) * 1e3:>10.2f} "
              f"{flagged / windows:>8.2f}")


if __name__ == "__main__":
    main()

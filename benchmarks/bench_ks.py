"""KS on 20 features x 10k reference vs 10k window: driftline (fit once, score) vs a scipy loop.

Run: ``python benchmarks/bench_ks.py [--smoke]``. Prints both timings, the speedup ratio and the
largest absolute p-value difference. Both sides run in this process on the same seeded data; 10k
vs 10k is scipy's exact-method range (``method="auto"``), so both compute exact p-values.
``--smoke`` (CI): 5 features x 1000 rows, once.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import ks_2samp

from driftline.detector.ks import KSDetector

N_FEATURES = 20
N_ROWS = 10_000
REPEATS = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    smoke = parser.parse_args().smoke
    n_features, n_rows, repeats = (5, 1000, 1) if smoke else (N_FEATURES, N_ROWS, REPEATS)
    rng = np.random.default_rng(20240601)
    reference = {f"f{i}": rng.normal(size=n_rows) for i in range(n_features)}
    # half the features shifted a little, half unchanged: a mix of small and moderate p-values
    window = {f"f{i}": rng.normal(0.03 * (i % 2), size=n_rows) for i in range(n_features)}

    start = time.perf_counter()
    detector = KSDetector(correction="none").fit(reference)
    fit_s = time.perf_counter() - start

    ours = min(_timed(lambda: detector.score(window)) for _ in range(repeats))
    theirs = min(
        _timed(lambda: [ks_2samp(reference[f], window[f]) for f in reference])
        for _ in range(repeats)
    )
    result = detector.score(window)
    scipy_p = {f: float(ks_2samp(reference[f], window[f]).pvalue) for f in reference}
    max_diff = max(abs((r.p_value or 0.0) - scipy_p[r.feature]) for r in result.features)

    print(f"{n_features} features x {n_rows} vs {n_rows} rows, best of {repeats}")
    print(f"driftline fit (once):  {fit_s * 1e3:8.2f} ms")
    print(f"driftline score:       {ours * 1e3:8.2f} ms")
    print(f"scipy ks_2samp loop:   {theirs * 1e3:8.2f} ms")
    print(f"speedup (scipy / ours): {theirs / ours:.1f}x")
    print(f"max |p - p_scipy|:     {max_diff:.2e}")


def _timed(call: object) -> float:
    assert callable(call)
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()

"""KS on 20 features x 10k reference vs 10k window: driftline (fit once, score) vs a scipy loop.

Run: ``python benchmarks/bench_ks.py``. Prints both timings, the speedup ratio and the largest
absolute p-value difference. Both sides run in this process on the same seeded data; 10k vs 10k
is scipy's exact-method range (``method="auto"``), so both compute exact p-values.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.stats import ks_2samp

from driftline.detector.ks import KSDetector

N_FEATURES = 20
N_ROWS = 10_000
REPEATS = 5


def main() -> None:
    rng = np.random.default_rng(20240601)
    reference = {f"f{i}": rng.normal(size=N_ROWS) for i in range(N_FEATURES)}
    # half the features shifted a little, half unchanged: a mix of small and moderate p-values
    window = {f"f{i}": rng.normal(0.03 * (i % 2), size=N_ROWS) for i in range(N_FEATURES)}

    start = time.perf_counter()
    detector = KSDetector(correction="none").fit(reference)
    fit_s = time.perf_counter() - start

    ours = min(_timed(lambda: detector.score(window)) for _ in range(REPEATS))
    theirs = min(
        _timed(lambda: [ks_2samp(reference[f], window[f]) for f in reference])
        for _ in range(REPEATS)
    )
    result = detector.score(window)
    scipy_p = {f: float(ks_2samp(reference[f], window[f]).pvalue) for f in reference}
    max_diff = max(abs((r.p_value or 0.0) - scipy_p[r.feature]) for r in result.features)

    print(f"{N_FEATURES} features x {N_ROWS} vs {N_ROWS} rows, best of {REPEATS}")
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

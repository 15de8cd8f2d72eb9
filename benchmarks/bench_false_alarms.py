"""False-alarm rates of every registered detector at its defaults, on no-drift data.

Run: ``python benchmarks/bench_false_alarms.py [--smoke]``. For each detector, scenario and
size (rows per side, reference x window) it prints the share of seeds in which the detector
called drift although reference and window come from one distribution, next to its nominal
alpha (0.05 for every default). Rows ``scipy ks_2samp``, ``scipy cramervonmises_2samp`` and
``scipy chi2_contingency`` are the baseline: scipy's own function on the same samples, drift
iff its p-value < alpha (no effect-size floor; missing values dropped; chi2 on the 2 x K table
of the categories seen on either side, scipy's default Yates correction for 2 x 2). A rate
marked ``*`` is above the 99.9% quantile of Binomial(seeds, alpha): more false alarms than a
calibrated test gives by chance. A detector appears for the scenarios whose feature kind its
declared capabilities take; ``-``: not run (multivariate tests, the expensive ones, run 40
seeds and only up to 200 rows a side); ``error``: the detector raised (listed at the end).

Seeds: 200 per cell (100 at 10,000 rows), all detectors on the same samples; a detector that
would need more than a minute for a cell (seconds per call) runs fewer, at least 10, and the
count is shown in parentheses. Full run: ~12 CPU minutes (20 minutes on a busy 2-core
machine). ``--smoke`` (CI): 10 seeds (2 for a detector of seconds per call), 100 x 100 rows,
two scenarios, seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import binom, chi2_contingency, cramervonmises_2samp, ks_2samp

from driftline.detector import Status, available_detectors, detector_capabilities, get_detector

ALPHA = 0.05
TAIL = 1e-3
EXPENSIVE_SEEDS, EXPENSIVE_MAX_N = 40, 200
#: seconds per cell: a detector slower than budget / seeds per call runs fewer seeds (shown)
CELL_BUDGET_S, MIN_SEEDS = 60.0, 10
WIDTH = 18

Array = npt.NDArray[Any]
Draw = Callable[[np.random.Generator, int], Array]

ZIPF_LEVELS = np.array([f"z{i:02d}" for i in range(40)])
ZIPF_P = 1.0 / np.arange(1, 41) ** 1.5
ZIPF_P /= ZIPF_P.sum()
COLOURS = np.array(["red", "green", "blue", "amber", "grey"])


def _with_nan(rng: np.random.Generator, n: int) -> Array:
    values = rng.normal(size=n)
    values[rng.random(n) < 0.1] = np.nan
    return values


def _colours_with_none(rng: np.random.Generator, n: int) -> Array:
    values = rng.choice(COLOURS, n, p=[0.4, 0.3, 0.15, 0.1, 0.05]).astype(object)
    values[rng.random(n) < 0.1] = None
    return values


#: name -> (feature kind, one sample of n rows)
SCENARIOS: dict[str, tuple[str, Draw]] = {
    "normal": ("numeric", lambda rng, n: rng.normal(size=n)),
    "poisson(2) ties": ("numeric", lambda rng, n: rng.poisson(2.0, n).astype(np.float64)),
    "student t, 2 df": ("numeric", lambda rng, n: rng.standard_t(2, n)),
    "normal, 10% NaN": ("numeric", _with_nan),
    "zipf, rare/unseen": ("categorical", lambda rng, n: rng.choice(ZIPF_LEVELS, n, p=ZIPF_P)),
    "5 levels, 10% None": ("categorical", _colours_with_none),
}
SIZES = [(20, 20), (100, 100), (1000, 1000), (10_000, 10_000), (1000, 100), (100, 1000)]
SMOKE_SCENARIOS = ("normal", "zipf, rare/unseen")


def _present(values: Array) -> Array:
    if values.dtype == object:
        return values[[v is not None for v in values.tolist()]]
    return values[~np.isnan(values)] if values.dtype.kind == "f" else values


def _chi2_p(reference: Array, window: Array) -> float:
    reference, window = _present(reference).astype(str), _present(window).astype(str)
    levels = np.union1d(reference, window)
    table = [[np.sum(reference == k) for k in levels], [np.sum(window == k) for k in levels]]
    if len(levels) < 2:
        return 1.0
    return float(chi2_contingency(table).pvalue)


#: detector name -> (scipy function, its p-value on one pair)
BASELINES: dict[str, tuple[str, Callable[[Array, Array], float]]] = {
    "ks": ("ks_2samp", lambda x, y: float(ks_2samp(_present(x), _present(y)).pvalue)),
    "cvm": ("cramervonmises_2samp",
            lambda x, y: float(cramervonmises_2samp(_present(x), _present(y)).pvalue)),
    "chi2": ("chi2_contingency", _chi2_p),
}


def _seeds(name: str, n_ref: int, n_win: int, full: int) -> int | None:
    if detector_capabilities(name).multivariate:
        return min(EXPENSIVE_SEEDS, full) if max(n_ref, n_win) <= EXPENSIVE_MAX_N else None
    return full if max(n_ref, n_win) < 10_000 else max(full // 2, 1)


def _samples(scenario: str, n_ref: int, n_win: int, k: int) -> list[tuple[Array, Array]]:
    draw = SCENARIOS[scenario][1]
    rng = np.random.default_rng([zlib.crc32(scenario.encode()), n_ref, n_win])
    return [(draw(rng, n_ref), draw(rng, n_win)) for _ in range(k)]


def _detector_rate(name: str, kind: str, pairs: list[tuple[Array, Array]], budget_s: float,
                   min_seeds: int) -> tuple[float, int, float]:
    """``(rate, seeds, alpha)``: the share of pairs the detector at its defaults calls drift,
    over as many pairs as ``budget_s`` seconds allow at the first pair's cost (at least
    ``min_seeds``), and its nominal alpha."""
    detector = get_detector(name)
    start = time.perf_counter()
    drifted = int(detector.fit({kind: pairs[0][0]}).score({kind: pairs[0][1]}).drifted)
    first_s = time.perf_counter() - start
    seeds = min(len(pairs), max(min_seeds, int(budget_s / max(first_s, 1e-9))))
    drifted += sum(detector.fit({kind: x}).score({kind: y}).status is Status.DRIFT
                   for x, y in pairs[1:seeds])
    return drifted / seeds, seeds, float(getattr(detector, "alpha", ALPHA))


def _scipy_rate(p_value: Callable[[Array, Array], float],
                pairs: list[tuple[Array, Array]]) -> float:
    with warnings.catch_warnings():  # ks_2samp: "Exact calculation unsuccessful" (ties)
        warnings.simplefilter("ignore", RuntimeWarning)
        return sum(p_value(x, y) < ALPHA for x, y in pairs) / len(pairs)


def _over(rate: float, seeds: int, alpha: float) -> bool:
    return bool(rate > binom.ppf(1.0 - TAIL, seeds, alpha) / seeds)


def _cell(rate: float, seeds: int, alpha: float, planned: int) -> str:
    fewer = f" ({seeds})" if seeds < planned else ""
    return f"{rate:.3f}{'*' if _over(rate, seeds, alpha) else ' '}{fewer}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    smoke = parser.parse_args().smoke
    scenarios = SMOKE_SCENARIOS if smoke else tuple(SCENARIOS)
    sizes = [(100, 100)] if smoke else SIZES
    full_seeds = 10 if smoke else 200
    budget_s, min_seeds = (1.0, 2) if smoke else (CELL_BUDGET_S, MIN_SEEDS)
    start = time.perf_counter()
    print("false-alarm rate at each detector's defaults on no-drift data (nominal alpha "
          f"{ALPHA}); rows per side = reference x window")
    print(f"seeds per cell: {full_seeds} ({max(full_seeds // 2, 1)} at 10,000 rows; "
          f"multivariate tests {min(EXPENSIVE_SEEDS, full_seeds)}, up to "
          f"{EXPENSIVE_MAX_N} rows; fewer, in parentheses, where a cell would take over "
          f"{budget_s:.0f} s); * = above the {1 - TAIL:.1%} binomial quantile")
    header = "".join(f"{f'{a:,} x {b:,}':>{WIDTH}}" for a, b in sizes)
    print(f"{'detector':<30}{'scenario':<20}{'alpha':>6}{header}")
    over = cells = 0
    errors: list[str] = []
    for scenario in scenarios:
        kind = SCENARIOS[scenario][0]
        pairs = {size: _samples(scenario, *size, _seeds("ks", *size, full_seeds) or 1)
                 for size in sizes}
        for name in available_detectors():
            if not detector_capabilities(name).takes(kind):
                continue
            row, alpha = "", ALPHA  # alpha: the detector's own, once a cell has run
            for size in sizes:
                seeds = _seeds(name, *size, full_seeds)
                if seeds is None:
                    row += f"{'-':>{WIDTH}}"
                    continue
                try:
                    rate, used, alpha = _detector_rate(name, kind, pairs[size][:seeds],
                                                       budget_s, min_seeds)
                except Exception as exc:  # a detector that raises is a finding, not a crash
                    errors.append(f"{name}, {scenario}, {size[0]} x {size[1]}: "
                                  f"{type(exc).__name__}: {exc}")
                    row += f"{'error':>{WIDTH}}"
                    continue
                cells += 1
                over += _over(rate, used, alpha)
                row += f"{_cell(rate, used, alpha, seeds):>{WIDTH}}"
            print(f"{name:<30}{scenario:<20}{alpha:>6.2f}{row}")
            if name in BASELINES:
                label, p_value = BASELINES[name]
                rates = [(_scipy_rate(p_value, pairs[s]), len(pairs[s])) for s in sizes]
                row = "".join(f"{_cell(rate, k, ALPHA, 0):>{WIDTH}}" for rate, k in rates)
                print(f"{'  scipy ' + label:<30}{scenario:<20}{ALPHA:>6.2f}{row}")
    for error in errors:
        print(f"error: {error}")
    print(f"cells above the binomial bound: {over} of {cells} "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

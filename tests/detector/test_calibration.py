"""Calibration is a property of the registry: every registered batch detector, at its defaults,
keeps its false-alarm rate within alpha on no-drift data, and finds large shifts.

The grid is parametrized over ``available_detectors()``, so a new detector gets it for free.
A (detector, scenario) cell is skipped only when the detector's declared
``capabilities.input_kinds`` cannot take a feature kind of the scenario; nothing else is
skipped or expected to fail.

Scenarios (reference and window drawn from one distribution): continuous normal; heavily tied
(Poisson(2) counts, normal values rounded to one decimal, 4 integer codes); heavy-tailed
(Student t with 2 df, lognormal); categorical with rare and unseen levels (Zipf over 40
levels, the rarest at 0.2%); missing values (10% NaN / None); several features at once (five
numeric; numeric and categorical mixed: the family-wise rate of the correction). Sizes per
side from 20 to 10^4, equal and unequal (1:10 both ways), and one 10^6 case (``GRID``).

The bound. A detector's rejection count over ``n`` seeds at level ``alpha`` is at most
Binomial(n, alpha) when it is calibrated; a cell fails when the count exceeds that law's
``1 - TAIL`` quantile. ``TAIL = 1e-4``: with several hundred cells a calibrated detector fails
one by chance with probability below ~5% (and, the seeds being fixed, always the same one).
Seeds: 200 per cell up to 200 rows a side (the bound allows 11.5%), 100 up to 10^4 (14%), 10
at 10^6 (gross failures only). Multivariate detectors (``capabilities.multivariate``: kernel
and classifier tests, the expensive ones) run 40 seeds at up to 200 rows a side (17.5%);
``BUDGETS`` gives a detector of seconds per call fewer seeds and cells.

Power: a 1 sd mean shift at 200 rows a side, a doubled sd at 500, and a categorical shift
(total variation 0.45) at 200 must each be found in at least 90% of 50 seeds (40 for the
multivariate detectors, ``BUDGETS`` seeds for the slowest).

Cost: everything but the 100 x 100 normal and categorical cells and the power checks of the
single-feature detectors is ``@pytest.mark.slow`` (each cell well under a minute).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from scipy.stats import binom

from driftline.detector import (
    DistanceDetector,
    Status,
    available_detectors,
    detector_capabilities,
    get_detector,
)

TAIL = 1e-4
DEFAULT_ALPHA = 0.05
#: seeds per cell by the largest side, for single-feature (cheap) detectors
CHEAP_SEEDS = ((200, 200), (10_000, 100), (10**6, 10))
#: seeds and largest side per cell for multivariate (expensive) detectors
EXPENSIVE_SEEDS, EXPENSIVE_MAX_N = 40, 200
#: values per generated chunk (the seeds of a cell are drawn in vectorized chunks)
CHUNK_VALUES = 2_000_000

Columns = dict[str, npt.NDArray[np.generic]]
#: draws ``k`` samples of ``n`` rows at once: feature -> array of shape (k, n)
Draw = Callable[[np.random.Generator, int, int], Columns]
#: one feature's draw: an array of shape (k, n)
Column = Callable[[np.random.Generator, int, int], npt.NDArray[np.generic]]

ZIPF_LEVELS = np.array([f"z{i:02d}" for i in range(40)])
_ZIPF_P = 1.0 / np.arange(1, 41) ** 1.5
ZIPF_P = _ZIPF_P / _ZIPF_P.sum()  # the last levels have p ~ 0.2%: rare, often unseen
COLOURS = np.array(["red", "green", "blue", "amber", "grey"])
COLOUR_P = np.array([0.4, 0.3, 0.15, 0.1, 0.05])


def _normal(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return rng.normal(size=(k, n))


def _poisson(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return rng.poisson(2.0, size=(k, n)).astype(np.float64)


def _rounded(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return np.round(rng.normal(size=(k, n)), 1)


def _codes(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return rng.choice(np.array([0.0, 1.0, 2.0, 3.0]), size=(k, n), p=[0.5, 0.3, 0.15, 0.05])


def _t2(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return rng.standard_t(2, size=(k, n))


def _lognormal(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    return rng.lognormal(0.0, 1.0, size=(k, n))


def _with_nan(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.float64]:
    values = rng.normal(size=(k, n))
    values[rng.random((k, n)) < 0.1] = np.nan
    return values


def _zipf(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.str_]:
    levels: npt.NDArray[np.str_] = rng.choice(ZIPF_LEVELS, size=(k, n), p=ZIPF_P)
    return levels


def _colours_with_none(rng: np.random.Generator, k: int, n: int) -> npt.NDArray[np.object_]:
    values = rng.choice(COLOURS, size=(k, n), p=COLOUR_P).astype(object)
    values[rng.random((k, n)) < 0.1] = None
    return values


@dataclass(frozen=True)
class Scenario:
    name: str
    kinds: frozenset[str]
    columns: tuple[tuple[str, Column], ...]

    def draw(self, rng: np.random.Generator, k: int, n: int) -> Columns:
        return {name: make(rng, k, n) for name, make in self.columns}


NUMERIC, CATEGORICAL = frozenset({"numeric"}), frozenset({"categorical"})
SCENARIOS = {s.name: s for s in [
    Scenario("normal", NUMERIC, (("x", _normal),)),
    Scenario("poisson_ties", NUMERIC, (("x", _poisson),)),
    Scenario("rounded_ties", NUMERIC, (("x", _rounded),)),
    Scenario("integer_codes", NUMERIC, (("x", _codes),)),
    Scenario("student_t2", NUMERIC, (("x", _t2),)),
    Scenario("lognormal", NUMERIC, (("x", _lognormal),)),
    Scenario("numeric_nan", NUMERIC, (("x", _with_nan),)),
    Scenario("categorical_rare_unseen", CATEGORICAL, (("c", _zipf),)),
    Scenario("categorical_none", CATEGORICAL, (("c", _colours_with_none),)),
    Scenario("five_numeric", NUMERIC, (("normal", _normal), ("poisson", _poisson),
                                       ("t2", _t2), ("lognormal", _lognormal),
                                       ("nan", _with_nan))),
    Scenario("mixed_kinds", NUMERIC | CATEGORICAL, (("normal", _normal), ("codes", _codes),
                                                    ("zipf", _zipf),
                                                    ("colour", _colours_with_none))),
]}

ALL_SIZES = [(20, 20), (100, 100), (1000, 1000), (10**4, 10**4), (200, 20), (20, 200),
             (1000, 100), (100, 1000), (2000, 200), (10**4, 10**3), (10**3, 10**4)]
SOME_SIZES = [(100, 100), (1000, 1000), (200, 20), (20, 200), (2000, 200)]
#: the sizes (reference x window rows) each scenario runs at, for single-feature detectors
GRID: dict[str, list[tuple[int, int]]] = {
    "normal": ALL_SIZES,
    "poisson_ties": ALL_SIZES,
    "categorical_rare_unseen": ALL_SIZES,
    "rounded_ties": SOME_SIZES,
    "integer_codes": SOME_SIZES,
    "student_t2": SOME_SIZES,
    "lognormal": SOME_SIZES,
    "numeric_nan": SOME_SIZES,
    "categorical_none": SOME_SIZES,
    "five_numeric": [(100, 100), (1000, 100)],
    "mixed_kinds": [(20, 20), (100, 100), (2000, 200)],
}
#: the 10^6-per-side case: the numeric scenario, or the categorical one for a detector that
#: takes no numeric feature
HUGE = (10**6, 10**6)
HUGE_SCENARIOS = ("normal", "categorical_none")
#: multivariate detectors: these scenarios at sizes up to 200 a side
EXPENSIVE_SCENARIOS = ("normal", "integer_codes", "student_t2", "numeric_nan",
                       "categorical_rare_unseen", "categorical_none", "mixed_kinds")
EXPENSIVE_SIZES = [(20, 20), (100, 100), (200, 20)]
#: cells run unmarked (the rest is ``slow``)
FAST_CELLS = {("normal", (100, 100)), ("categorical_rare_unseen", (100, 100))}


@dataclass(frozen=True)
class Budget:
    """Seeds per cell and the cells themselves for a detector too slow for the default grid
    (a few seconds a call): it still runs, on fewer seeds and cells, all marked slow."""

    seeds: int
    cells: tuple[tuple[str, tuple[int, int]], ...]


#: the domain classifier fits n_folds - 1 gradient-boosted models per call (~1 s, more on a
#: loaded machine): one mixed cell and the power checks on 10 seeds (its own calibration
#: study is in tests/detector/test_classifier.py)
BUDGETS = {"classifier": Budget(10, (("mixed_kinds", (100, 100)),))}


def _expensive(name: str) -> bool:
    return detector_capabilities(name).multivariate


def _cheap_seeds(n_ref: int, n_win: int) -> int:
    largest = max(n_ref, n_win)
    return next(seeds for top, seeds in CHEAP_SEEDS if largest <= top)


def _grid(name: str) -> list[tuple[str, tuple[int, int], int, bool]]:
    """``(scenario, size, seeds, slow)`` for every cell the detector runs."""
    if name in BUDGETS:
        budget = BUDGETS[name]
        return [(scenario, size, budget.seeds, True) for scenario, size in budget.cells]
    if _expensive(name):
        cells = [(s, size, EXPENSIVE_SEEDS) for s in EXPENSIVE_SCENARIOS
                 for size in EXPENSIVE_SIZES]
    else:
        takes_numeric = detector_capabilities(name).takes("numeric")
        huge = HUGE_SCENARIOS[0] if takes_numeric else HUGE_SCENARIOS[1]
        cells = [(s, size, _cheap_seeds(*size)) for s, sizes in GRID.items() for size in sizes]
        cells.append((huge, HUGE, _cheap_seeds(*HUGE)))
    slow = _expensive(name)
    return [(s, size, seeds, slow or (s, size) not in FAST_CELLS) for s, size, seeds in cells
            if _takes(name, SCENARIOS[s].kinds)]


def _takes(name: str, kinds: frozenset[str]) -> bool:
    """Whether the detector takes every kind of feature a scenario has (the grid holds only
    the cells a detector can run, so nothing is skipped)."""
    return kinds <= detector_capabilities(name).input_kinds


def _pairs(draw: Draw, rng: np.random.Generator, k: int, n_ref: int,
           n_win: int) -> Iterator[tuple[Columns, Columns]]:
    """``k`` (reference, window) pairs, drawn in vectorized chunks of seeds."""
    step = max(1, CHUNK_VALUES // max(n_ref, n_win))
    for start in range(0, k, step):
        count = min(step, k - start)
        refs, wins = draw(rng, count, n_ref), draw(rng, count, n_win)
        for i in range(count):
            yield {f: v[i] for f, v in refs.items()}, {f: v[i] for f, v in wins.items()}


def _rejections(name: str, pairs: Iterable[tuple[Columns, Columns]]) -> tuple[int, float]:
    """How many pairs the detector at its defaults calls drift, and its nominal alpha."""
    detector = get_detector(name)
    rejected = sum(detector.fit(reference).score(window).status is Status.DRIFT
                   for reference, window in pairs)
    return rejected, float(getattr(detector, "alpha", DEFAULT_ALPHA))


def _cells() -> list[object]:
    return [pytest.param(name, scenario, n_ref, n_win, seeds,
                         marks=[pytest.mark.slow] if slow else [],
                         id=f"{name}-{scenario}-{n_ref}x{n_win}")
            for name in available_detectors()
            for scenario, (n_ref, n_win), seeds, slow in _grid(name)]


@pytest.mark.parametrize(("name", "scenario", "n_ref", "n_win", "seeds"), _cells())
def test_false_alarm_rate_is_within_alpha(name: str, scenario: str, n_ref: int, n_win: int,
                                          seeds: int) -> None:
    case = SCENARIOS[scenario]
    rng = np.random.default_rng([zlib.crc32(scenario.encode()), n_ref, n_win])
    rejected, alpha = _rejections(name, _pairs(case.draw, rng, seeds, n_ref, n_win))
    bound = int(binom.ppf(1.0 - TAIL, seeds, alpha))
    assert rejected <= bound, (
        f"{name} on {scenario} at {n_ref} x {n_win}: false-alarm rate {rejected / seeds:.3f} "
        f"({rejected} of {seeds} seeds), alpha={alpha}, bound {bound}")


# -- power: a large shift is found ------------------------------------------------------------

POWER = 0.9


def _power_seeds(name: str) -> int:
    if name in BUDGETS:
        return BUDGETS[name].seeds
    return EXPENSIVE_SEEDS if _expensive(name) else 50


def _power_cases(kinds: frozenset[str]) -> list[object]:
    """Every detector that takes ``kinds``; the multivariate ones (40 seeds, seconds) slow."""
    return [pytest.param(name, marks=[pytest.mark.slow] if _expensive(name) else [], id=name)
            for name in available_detectors() if _takes(name, kinds)]


def test_every_detector_has_calibration_cells_and_a_power_check() -> None:
    for name in available_detectors():
        assert _grid(name), name
        assert _takes(name, NUMERIC) or _takes(name, CATEGORICAL), name


def _detected(name: str, reference: Draw, window: Draw, n: int, salt: str) -> float:
    k = _power_seeds(name)
    rng = np.random.default_rng(zlib.crc32(salt.encode()))
    refs, wins = reference(rng, k, n), window(rng, k, n)
    pairs = (({f: v[i] for f, v in refs.items()}, {f: v[i] for f, v in wins.items()})
             for i in range(k))
    return _rejections(name, pairs)[0] / k


def _population_to_floor(name: str, reference: Draw, window: Draw) -> float:
    """A distance detector's value for the shift itself (200,000 rows a side) over its
    practical threshold (``inf`` for a test): below 1 the shift is immaterial by the
    detector's own definition (L-infinity's 0.3 is a 30-point move of one bin)."""
    detector = get_detector(name)
    if not isinstance(detector, DistanceDetector):
        return float("inf")
    rng = np.random.default_rng(123)
    ref, win = reference(rng, 1, 200_000), window(rng, 1, 200_000)
    fitted = detector.fit({f: v[0] for f, v in ref.items()})
    statistic = fitted.score({f: v[0] for f, v in win.items()}).features[0].statistic
    return statistic / detector.threshold


def _assert_power(name: str, reference: Draw, window: Draw, n: int, salt: str,
                  what: str) -> None:
    """Power is required of a shift clearly above the detector's floor (1.25x for a
    distance); one clearly below (0.75x) must not be reported; one at the floor is a coin
    (a sample distance is biased upwards, so near the floor it crosses about half the time)."""
    rate = _detected(name, reference, window, n, salt)
    ratio = _population_to_floor(name, reference, window)
    if ratio < 0.75:
        assert rate <= 0.1, f"{name}: {what} is below its practical floor, yet drift in {rate:.0%}"
    elif ratio >= 1.25:
        assert rate >= POWER, f"{name}: {what} found in {rate:.0%} of seeds"


@pytest.mark.parametrize("name", _power_cases(NUMERIC))
def test_a_one_sd_mean_shift_at_200_rows_is_found(name: str) -> None:

    def shifted(rng: np.random.Generator, k: int, n: int) -> Columns:
        return {"x": rng.normal(1.0, 1.0, size=(k, n))}

    _assert_power(name, lambda r, k, n: {"x": _normal(r, k, n)}, shifted, 200, "mean",
                  "1 sd mean shift at 200 x 200")


@pytest.mark.parametrize("name", _power_cases(NUMERIC))
def test_a_doubled_sd_at_500_rows_is_found(name: str) -> None:

    def wider(rng: np.random.Generator, k: int, n: int) -> Columns:
        return {"x": rng.normal(0.0, 2.0, size=(k, n))}

    _assert_power(name, lambda r, k, n: {"x": _normal(r, k, n)}, wider, 500, "scale",
                  "sd x2 at 500 x 500")


@pytest.mark.parametrize("name", _power_cases(CATEGORICAL))
def test_a_categorical_shift_at_200_rows_is_found(name: str) -> None:
    """The top level's share falls from 70% to 25% (total variation 0.45)."""
    levels = COLOURS[:4]

    def before(rng: np.random.Generator, k: int, n: int) -> Columns:
        return {"c": rng.choice(levels, size=(k, n), p=[0.7, 0.1, 0.1, 0.1])}

    def after(rng: np.random.Generator, k: int, n: int) -> Columns:
        return {"c": rng.choice(levels, size=(k, n))}

    rate = _detected(name, before, after, 200, "categorical")
    assert rate >= POWER, f"{name}: categorical shift at 200 x 200 found in {rate:.0%} of seeds"

"""Domain-classifier drift test: driftline vs alibi-detect's ``ClassifierDrift`` (or the naive way).

    .venv/bin/python benchmarks/bench_classifier.py [--n 5000] [--d 20] [--smoke]

Seeded Gaussian data, ``n`` rows a side, ``d`` features; the cases: no drift (3 seeds), a
0.5 sd mean shift of one feature (2 seeds), and a correlation-only shift (two features
correlated 0.8 in the window, independent in the reference; every margin unchanged). Each case
is scored by driftline's ``ClassifierDetector`` (defaults: 5 forward-chaining folds,
HistGradientBoosting with early stopping, AUC floor 0.55, importances included) and by a
baseline, timed end to end (fit + score), and the verdicts are compared.

The baseline is alibi-detect's ``ClassifierDrift(x_ref, model=HistGradientBoostingClassifier(),
backend="sklearn", n_folds=5, p_val=0.05)`` (KS test of the out-of-fold probabilities), run in
a subprocess of ``$DRIFTLINE_ALIBI_PYTHON`` (default ``/work/alibi-venv/bin/python``; alibi-
detect is a test oracle only and is never imported here), timed inside that process. When that
interpreter is missing, and always with ``--smoke`` (CI: n=200, d=5, two cases), the baseline
is the naive way: scikit-learn's ``cross_val_predict`` (5 stratified folds, the same
classifier) and ``roc_auc_score``, with a permutation null that relabels and refits
``--permutations`` times (p-value ``(k + 1) / (B + 1)``).

Times depend on the OpenMP / BLAS threads (``OMP_NUM_THREADS``); both sides share them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from driftline.detector.classifier import ClassifierDetector

ALIBI_PYTHON = Path(os.environ.get("DRIFTLINE_ALIBI_PYTHON", "/work/alibi-venv/bin/python"))
ALPHA, N_FOLDS = 0.05, 5

ALIBI_SCRIPT = """
import json, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from alibi_detect.cd import ClassifierDrift
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
t0 = time.perf_counter()
cd = ClassifierDrift(x, model=HistGradientBoostingClassifier(random_state=0), backend="sklearn",
                     n_folds=int(sys.argv[3]), p_val=float(sys.argv[4]))
out = cd.predict(y)["data"]
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "drift": bool(out["is_drift"]),
                  "p_value": float(out["p_val"]), "statistic": float(out["distance"])}))
"""


@dataclass(frozen=True)
class Outcome:
    seconds: float
    drift: bool
    p_value: float
    statistic: float  # AUC (ours, naive) or alibi's KS distance


def case_data(kind: str, n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, n, d])
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    if kind == "mean_shift":
        y[:, min(3, d - 1)] += 0.5
    elif kind == "correlation":
        y[:, 1] = 0.8 * y[:, 0] + 0.6 * y[:, 1]
    return x, y


def frame(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"f{j}": x[:, j] for j in range(x.shape[1])}


def ours(x: np.ndarray, y: np.ndarray) -> tuple[Outcome, str]:
    t0 = time.perf_counter()
    result = ClassifierDetector(alpha=ALPHA, n_folds=N_FOLDS).fit(frame(x)).score(frame(y))
    seconds = time.perf_counter() - t0
    top = next(iter(result.details["importances"]))
    return Outcome(seconds, result.drifted, float(result.p_value or 1.0), result.statistic), top


def naive(x: np.ndarray, y: np.ndarray, permutations: int) -> Outcome:
    """Out-of-fold AUC with a permutation null that refits for every relabelling."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    t0 = time.perf_counter()
    pooled = np.vstack([x, y])
    labels = np.r_[np.zeros(len(x)), np.ones(len(y))]
    rng = np.random.default_rng(0)

    def auc(target: np.ndarray) -> float:
        folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0)
        scores = cross_val_predict(HistGradientBoostingClassifier(random_state=0), pooled,
                                   target, cv=folds, method="predict_proba")[:, 1]
        return float(roc_auc_score(target, scores))

    observed = auc(labels)
    null = [auc(rng.permutation(labels)) for _ in range(permutations)]
    p_value = (1 + sum(v >= observed for v in null)) / (permutations + 1)
    return Outcome(time.perf_counter() - t0, p_value < ALPHA, p_value, observed)


def alibi(x: np.ndarray, y: np.ndarray) -> Outcome | None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "x.npy", Path(tmp) / "y.npy"]
        np.save(paths[0], x.astype(np.float32))
        np.save(paths[1], y.astype(np.float32))
        done = subprocess.run([str(ALIBI_PYTHON), "-c", ALIBI_SCRIPT, *map(str, paths),
                               str(N_FOLDS), str(ALPHA)], capture_output=True, text=True,
                              check=False)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Outcome(out["seconds"], out["drift"], out["p_value"], out["statistic"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000, help="rows per side")
    parser.add_argument("--d", type=int, default=20, help="features")
    parser.add_argument("--permutations", type=int, default=20,
                        help="refits of the naive baseline's permutation null")
    parser.add_argument("--smoke", action="store_true", help="tiny size, naive baseline (CI)")
    args = parser.parse_args()
    cases = [("no_drift", s) for s in range(3)] + [("mean_shift", s) for s in range(2)] + [
        ("correlation", 0)]
    use_alibi = ALIBI_PYTHON.exists() and not args.smoke
    if args.smoke:
        args.n, args.d = 200, 5
        cases = [("no_drift", 0), ("mean_shift", 0)]
    if use_alibi:
        baseline = f"alibi-detect ClassifierDrift (sklearn, HGB, {N_FOLDS} folds, KS)"
    else:
        baseline = (f"naive: cross_val_predict + roc_auc_score, permutation null refitting "
                    f"{args.permutations} times")
        if not args.smoke:
            print(f"note: {ALIBI_PYTHON} not found: naive baseline")
    print(f"classifier drift test, n={args.n:,} per side, d={args.d}, {N_FOLDS} folds, "
          f"alpha={ALPHA}; baseline: {baseline}")
    ours(*case_data("no_drift", 50, 2, 0))  # warm up imports and OpenMP threads
    ours_s = base_s = 0.0
    agree = compared = 0
    for kind, seed in cases:
        x, y = case_data(kind, args.n, args.d, seed)
        mine, top = ours(x, y)
        ref = alibi(x, y) if use_alibi else naive(x, y, args.permutations)
        line = (f"{kind} seed={seed}: driftline {mine.seconds:.2f} s auc={mine.statistic:.3f} "
                f"p={mine.p_value:.2g} {'drift' if mine.drift else 'no_drift'} (top {top})")
        if ref is None:
            print(f"{line} | baseline failed")
            continue
        stat = "ks" if use_alibi else "auc"
        print(f"{line} | baseline {ref.seconds:.2f} s {stat}={ref.statistic:.3f} "
              f"p={ref.p_value:.2g} {'drift' if ref.drift else 'no_drift'}")
        ours_s, base_s = ours_s + mine.seconds, base_s + ref.seconds
        compared += 1
        agree += mine.drift == ref.drift
    if compared:
        print(f"time ratio (baseline / driftline): {base_s / ours_s:.1f}x "
              f"({base_s:.1f} s / {ours_s:.1f} s); verdicts agree {agree}/{compared}")
    else:
        print("time ratio: no baseline ran")


if __name__ == "__main__":
    main()

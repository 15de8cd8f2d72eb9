"""The alibi-detect column of ``bench_power.py``; runs only in alibi-detect's own venv.

    /work/alibi-venv/bin/python benchmarks/_alibi_power.py BUDGET_S PROBE_SEEDS MAX_CALL_S \
        SPEC.json [SPEC.json ...]

alibi-detect (Business Source License) is a test oracle: this script is never imported by
driftline or by code that pytest runs; ``bench_power.py`` starts it as a subprocess. Each SPEC
is a JSON object ``{"data": "n100.npz", "n": 100, "alpha": 0.05, "tools": {name: seeds}}``;
the .npz holds ``ref`` and one window per scenario (``none``, ``mean``, ``scale``,
``corr``), each of shape ``(seeds, n, d)``. Every tool is fitted on ``ref[s]`` (its
constructor) and predicts each scenario's window ``[s]``, at its defaults: ``KSDrift`` and
``CVMDrift`` (per feature, Bonferroni), ``MMDDrift`` and ``LSDDDrift`` (PyTorch backend, CPU,
100 permutations, median-heuristic bandwidth; torch seeded with the seed), ``ClassifierDrift``
(sklearn backend, ``HistGradientBoostingClassifier(random_state=0)``, the model family of
driftline's ``classifier`` test; alibi's defaults: 75 % of the pooled rows train it, a one-sided
KS test compares the held-out probabilities).

Seeds as in ``bench_power.py``: after one untimed warm-up call per tool, every tool runs
``PROBE_SEEDS`` seeds at every size; each cell then gets what ``BUDGET_S / (4 * cells)`` buys,
and the rest of ``BUDGET_S`` (wall seconds from this process's start) is shared out by
water-filling (a cell gets its wanted count when that costs at most an equal share of what is
left). A tool
that raises stops at its first error; one whose call takes over ``MAX_CALL_S`` stops after
that seed; both are reported. Prints one JSON object: per spec and tool the verdicts (1 drift,
0 none) per scenario, wanted and allocated seeds, summed wall and CPU seconds (fit + predict).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from typing import Any

import numpy as np

SCENARIOS = ("none", "mean", "scale", "corr")
T_START = time.perf_counter()


def _make(tool: str, x_ref: np.ndarray, alpha: float) -> Any:
    from alibi_detect.cd import ClassifierDrift, CVMDrift, KSDrift, LSDDDrift, MMDDrift

    if tool == "KSDrift":
        return KSDrift(x_ref, p_val=alpha)
    if tool == "CVMDrift":
        return CVMDrift(x_ref, p_val=alpha)
    if tool == "MMDDrift":
        return MMDDrift(x_ref, p_val=alpha, backend="pytorch", device="cpu")
    if tool == "LSDDDrift":
        return LSDDDrift(x_ref, p_val=alpha, backend="pytorch", device="cpu")
    if tool == "ClassifierDrift":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return ClassifierDrift(x_ref, HistGradientBoostingClassifier(random_state=0),
                               backend="sklearn", p_val=alpha)
    raise ValueError(f"unknown alibi-detect tool {tool!r}")


def run_seed(out: dict[str, Any], tool: str, data: dict[str, np.ndarray], seed: int,
             alpha: float, max_call_s: float) -> None:
    import torch

    x_ref = np.ascontiguousarray(data["ref"][seed])
    seed_wall, drift = 0.0, out["drift"]
    for scenario in SCENARIOS:
        torch.manual_seed(seed)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            verdict = _make(tool, x_ref, alpha).predict(
                np.ascontiguousarray(data[scenario][seed]))
        except Exception as exc:  # reported; the other tools still run
            out["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
            for s in SCENARIOS:
                del drift[s][len(out["seed_s"]):]
            return
        wall = time.perf_counter() - t0
        seed_wall += wall
        out["wall_s"] += wall
        out["cpu_s"] += time.process_time() - c0
        out["calls"] += 1
        drift[scenario].append(int(verdict["data"]["is_drift"]))
        if wall > max_call_s:
            out["stopped"] = f"one call took {wall:.0f} s (limit {max_call_s:.0f} s)"
    out["seed_s"].append(seed_wall)


def allocate(cost: dict[Any, float], wanted: dict[Any, int], done: int, budget: float,
             floor_s: float) -> dict[Any, int]:
    """As ``bench_power.allocate``: a floor, then water-filling, cheapest needs first."""
    base = {k: min(wanted[k], done + int(min(floor_s / cost[k], wanted[k])))
            if cost[k] > 0 else wanted[k] for k in cost}
    need = {k: (wanted[k] - base[k]) * cost[k] for k in cost}
    left = max(budget - sum((base[k] - done) * cost[k] for k in cost), 0.0)
    seeds = {}
    for i, k in enumerate(sorted(need, key=need.__getitem__)):
        give = min(need[k], left / (len(need) - i))
        left -= give
        seeds[k] = wanted[k] if give >= need[k] else base[k] + int(give / cost[k])
    return seeds


def main() -> None:
    logging.disable(logging.WARNING)  # alibi logs every ClassifierDrift's settings
    warnings.simplefilter("ignore")
    import alibi_detect
    import sklearn
    import torch

    budget_s, probe, max_call_s = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    specs, data, results = [], {}, {}
    for path in sys.argv[4:]:
        with open(path) as f:
            spec = json.load(f)
        specs.append(spec)
        with np.load(spec["data"]) as npz:
            data[spec["n"]] = {k: npz[k] for k in npz.files}
        for tool, wanted in spec["tools"].items():
            results[spec["n"], tool] = {"wanted": int(wanted), "seeds": 0, "drift": {
                s: [] for s in SCENARIOS}, "seed_s": [], "wall_s": 0.0, "cpu_s": 0.0,
                "calls": 0}
    alpha = {spec["n"]: float(spec["alpha"]) for spec in specs}

    def live() -> dict[Any, dict[str, Any]]:
        return {k: r for k, r in results.items() if "error" not in r and "stopped" not in r}

    smallest = min(data)
    for tool in {t for _, t in results}:  # imports, torch and thread start-up: not timed
        try:
            _make(tool, data[smallest]["ref"][0], alpha[smallest]).predict(
                data[smallest]["none"][0])
        except Exception:  # the timed run reports it
            pass
    for (n, tool), out in results.items():
        for seed in range(min(probe, out["wanted"])):
            if (n, tool) in live():
                run_seed(out, tool, data[n], seed, alpha[n], max_call_s)
    running = live()
    seeds = allocate({k: min(r["seed_s"]) for k, r in running.items()},
                     {k: r["wanted"] for k, r in running.items()}, probe,
                     budget_s - (time.perf_counter() - T_START), budget_s / (4 * len(results)))
    for (n, tool), out in results.items():
        out["seeds"] = seeds.get((n, tool), len(out["seed_s"]))
        for seed in range(len(out["seed_s"]), out["seeds"]):
            if "error" in out or "stopped" in out:
                break
            run_seed(out, tool, data[n], seed, alpha[n], max_call_s)
    report = {"versions": {"alibi_detect": alibi_detect.__version__, "torch": torch.__version__,
                           "sklearn": sklearn.__version__},
              "specs": [{"n": spec["n"], "tools": {t: results[spec["n"], t]
                                                   for t in spec["tools"]}}
                        for spec in specs]}
    print(json.dumps(report))


if __name__ == "__main__":
    main()

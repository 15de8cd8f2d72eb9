"""Power table: driftline's batch tests next to alibi-detect's and scipy's, at their defaults.

    .venv/bin/python benchmarks/bench_power.py [--sizes 100 1000 10000] [--budget-s 900]
                                               [--seeds-scale 1] [--no-alibi] [--smoke]

Data (seeded, d=5 features, n rows a side): the reference is standard normal; each seed draws
one reference and four windows, ``none`` (no drift: its rate is the false-alarm rate),
``mean`` (feature x0 shifted by 0.2 sd), ``scale`` (x0 times 1.3) and ``corr`` (x0 and x1
correlated 0.5, the marginals unchanged: per-feature tests cannot see it). Seed ``s`` at size
``n`` is ``default_rng([n, s])``: a tool run on fewer seeds uses the first ones, and every tool
sees the same data.

Tools, each at its defaults, alpha 0.05, a fresh fit per seed (fit + score are timed):

* driftline: ``get_detector(name).fit(ref).score(win)`` for every registered batch detector
  that takes numeric input (``available_detectors()``, read at run time); "drift" means
  ``status == "drift"``; ``insufficient_data`` counts as no detection and is reported.
* scipy: ``ks_2samp`` and ``cramervonmises_2samp`` per feature, drift when the smallest
  p-value is below alpha / d (Bonferroni).
* alibi-detect (``KSDrift``, ``CVMDrift``, ``MMDDrift``, ``LSDDDrift``, ``ClassifierDrift``,
  see ``benchmarks/_alibi_power.py``): a test oracle under the Business Source License, never
  imported here; it runs in a subprocess of ``$DRIFTLINE_ALIBI_PYTHON`` (default
  ``/work/alibi-venv/bin/python``) on the same seeded data, shipped as float32 .npz files.
  Without that interpreter (CI) its column is skipped and said so.

Matched false alarms: every tool also runs on the no-drift windows, and its false-alarm rate
is printed beside its power. A rate above alpha beyond chance (one-sided binomial p < 0.01)
is flagged ``!``: that tool's power is bought with false alarms and is not comparable.

Seeds. Wanted: 500 at n <= 1,000 and 100 above for the per-feature tests ("fast"); 60 at
n <= 100, 20 at n <= 1,000 and 8 above for driftline's multivariate detectors and alibi's MMD
/ LSDD / classifier ("slow"); ``--seeds-scale`` multiplies them. Every tool first runs 1 seed at
every size (after an untimed warm-up call), its per-seed time measured; the rest of
``--budget-s`` (default 900 s, shared 55:45 between the local tools and alibi-detect) is then
shared out so that no tool's cell costs more than an equal share of what is left: cheap cells
get their wanted count, costly ones fewer seeds, marked ``*`` in the table (and every cell first
gets what a quarter of an equal share of the budget buys, however long the probes took). Every
row says its seed count. A tool whose one call takes over 120 s stops there. alibi's
``MMDDrift`` and ``LSDDDrift`` are not run above 5,000 rows: at 10,000 a side one call took 18
minutes and 75 s (2 shared cores), and every multivariate test's power is 1 there. ``--smoke``
(CI): n=100, 3 seeds (2 for the slow tools), a few seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import stats

from driftline.detector import Status, available_detectors, detector_capabilities, get_detector

ROOT = Path(__file__).resolve().parents[1]
ALIBI_PYTHON = Path(os.environ.get("DRIFTLINE_ALIBI_PYTHON", "/work/alibi-venv/bin/python"))
ALIBI_HELPER = Path(__file__).with_name("_alibi_power.py")

N_FEATURES, ALPHA = 5, 0.05
MEAN_SHIFT, SCALE, RHO = 0.2, 1.3, 0.5
SCENARIOS = ("none", "mean", "scale", "corr")
ALIBI_FAST = ("KSDrift", "CVMDrift")
ALIBI_SLOW = ("MMDDrift", "LSDDDrift", "ClassifierDrift")
# alibi-detect tools not run above these sizes: measured per call at n=10,000 (2 shared cores)
ALIBI_MAX_N = {"MMDDrift": (5000, "one call took 18 min"),
               "LSDDDrift": (5000, "one call took 75 s wall, 26 s CPU")}
ALIBI_SHARE = 0.45  # of the budget, when alibi-detect runs
PROBE_SEEDS = 1  # after one untimed warm-up call per tool
MAX_CALL_S = 120.0  # a tool whose one call takes longer stops there

Verdict = int  # 1 drift, 0 no drift, -1 insufficient data (no detection)
Tool = Callable[[np.ndarray, np.ndarray], Verdict]


@dataclass
class Row:
    """One tool at one size: its verdicts per scenario and its time."""

    tool: str
    wanted: int
    seeds: int = 0  # allocated
    drift: dict[str, list[Verdict]] = field(default_factory=lambda: {s: [] for s in SCENARIOS})
    seed_s: list[float] = field(default_factory=list)  # wall seconds of each seed's 4 calls
    wall_s: float = 0.0
    cpu_s: float = 0.0
    calls: int = 0
    note: str = ""


def wanted_seeds(n: int, scale: float, smoke: bool) -> tuple[int, int]:
    """(fast, slow) seed counts wanted at size ``n``."""
    if smoke:
        return 3, 2
    fast = 500 if n <= 1000 else 100
    slow = 60 if n <= 100 else 20 if n <= 1000 else 8
    return max(PROBE_SEEDS, round(fast * scale)), max(PROBE_SEEDS, round(slow * scale))


def allocate(cost: dict[Hashable, float], wanted: dict[Hashable, int], done: int,
             budget: float, floor_s: float) -> dict[Hashable, int]:
    """Seeds per cell (``cost``: seconds a seed): first what ``floor_s`` buys (so an overrun
    of the probes never starves the cheap cells), then the ``budget`` left is shared out by
    water-filling, cheapest needs first: a cell gets its ``wanted`` count when that costs at
    most an equal share of what is left. Never below ``done`` nor above ``wanted``."""
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


def sample(n: int, seed: int) -> dict[str, np.ndarray]:
    """The reference and the four scenario windows of one seed, each ``(n, d)``."""
    rng = np.random.default_rng([n, seed])
    out = {"ref": rng.standard_normal((n, N_FEATURES))}
    for scenario in SCENARIOS:
        z = rng.standard_normal((n, N_FEATURES))
        if scenario == "mean":
            z[:, 0] += MEAN_SHIFT
        elif scenario == "scale":
            z[:, 0] *= SCALE
        elif scenario == "corr":
            z[:, 1] = RHO * z[:, 0] + np.sqrt(1.0 - RHO**2) * z[:, 1]
        out[scenario] = z
    return out


def frame(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"x{j}": x[:, j] for j in range(x.shape[1])}


def driftline_tool(name: str) -> Tool:
    def run(ref: np.ndarray, win: np.ndarray) -> Verdict:
        status = get_detector(name).fit(frame(ref)).score(frame(win)).status
        return -1 if status is Status.INSUFFICIENT_DATA else int(status is Status.DRIFT)
    return run


def scipy_tool(test: Callable[[np.ndarray, np.ndarray], object]) -> Tool:
    def run(ref: np.ndarray, win: np.ndarray) -> Verdict:
        p = min(float(test(ref[:, j], win[:, j]).pvalue)  # type: ignore[attr-defined]
                for j in range(ref.shape[1]))
        return int(p < ALPHA / ref.shape[1])
    return run


def local_tools() -> tuple[dict[str, tuple[bool, Tool]], list[str]]:
    """name -> (slow?, run) for every driftline detector taking numbers, then scipy's tests;
    and notes on the registered detectors left out."""
    tools: dict[str, tuple[bool, Tool]] = {}
    notes = []
    for name in available_detectors():
        caps = detector_capabilities(name)
        if "numeric" not in caps.input_kinds:
            kinds = ", ".join(sorted(caps.input_kinds))
            notes.append(f"driftline {name}: not run (takes {kinds} features only)")
            continue
        tools[f"driftline {name}"] = (caps.multivariate, driftline_tool(name))
    tools["scipy ks_2samp (Bonferroni)"] = (False, scipy_tool(stats.ks_2samp))
    tools["scipy cramervonmises_2samp (Bonf.)"] = (False, scipy_tool(stats.cramervonmises_2samp))
    return tools, notes


def run_seed(row: Row, tool: Tool, data: dict[str, np.ndarray]) -> None:
    """One seed of one tool: its four scenarios."""
    seed_wall = 0.0
    for scenario in SCENARIOS:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            verdict = tool(data["ref"], data[scenario])
        except Exception as exc:  # one tool's failure is reported, not fatal
            row.note = f"error: {type(exc).__name__}: {str(exc)[:120]}"
            for s in SCENARIOS:  # keep the scenarios' seed counts equal
                del row.drift[s][len(row.seed_s):]
            return
        wall = time.perf_counter() - t0
        seed_wall += wall
        row.wall_s += wall
        row.cpu_s += time.process_time() - c0
        row.calls += 1
        row.drift[scenario].append(verdict)
        if wall > MAX_CALL_S:  # this seed is finished, no other one runs
            row.note = f"stopped: one call took {wall:.0f} s (limit {MAX_CALL_S:.0f} s)"
    row.seed_s.append(seed_wall)


def run_local(sizes: list[int], wanted: dict[int, tuple[int, int]], budget_s: float
              ) -> tuple[dict[int, list[Row]], list[str]]:
    """Every local tool at every size: a probe of ``PROBE_SEEDS`` seeds, then the seeds the
    budget buys."""
    t_start = time.perf_counter()
    tools, notes = local_tools()
    rows = {(n, name): Row(name, wanted[n][1] if slow else wanted[n][0])
            for n in sizes for name, (slow, _) in tools.items()}
    warm = sample(min(sizes), 0)
    for _, tool in tools.values():  # imports, caches, thread pools: not timed
        try:
            tool(warm["ref"], warm["none"])
        except Exception:  # the timed run reports it
            pass
    for n in sizes:
        for seed in range(PROBE_SEEDS):
            data = sample(n, seed)
            for name, (_, tool) in tools.items():
                if not rows[n, name].note:
                    run_seed(rows[n, name], tool, data)
    live = {k: r for k, r in rows.items() if not r.note}
    seeds = allocate({k: min(r.seed_s) for k, r in live.items()},
                     {k: r.wanted for k, r in live.items()}, PROBE_SEEDS,
                     budget_s - (time.perf_counter() - t_start), budget_s / (4 * len(rows)))
    for key, row in rows.items():
        row.seeds = seeds.get(key, len(row.seed_s))
    for n in sizes:
        for seed in range(PROBE_SEEDS, max(rows[n, name].seeds for name in tools)):
            data = sample(n, seed)
            for name, (_, tool) in tools.items():
                row = rows[n, name]
                if seed < row.seeds and not row.note:
                    run_seed(row, tool, data)
        print(f"[n={n:,}: driftline + scipy done at {time.perf_counter() - t_start:.0f} s]",
              file=sys.stderr, flush=True)
    return {n: [rows[n, name] for name in tools] for n in sizes}, notes


def alibi_specs(sizes: list[int], wanted: dict[int, tuple[int, int]], folder: Path
                ) -> list[Path]:
    """The seeded data (float32, the wanted fast seed count) and a spec per size."""
    specs = []
    for n in sizes:
        fast, slow = wanted[n]
        stacks = {k: np.empty((fast, n, N_FEATURES), dtype=np.float32)
                  for k in ("ref", *SCENARIOS)}
        for seed in range(fast):
            for key, array in sample(n, seed).items():
                stacks[key][seed] = array
        np.savez(folder / f"n{n}.npz", **stacks)
        tools = {t: fast for t in ALIBI_FAST}
        tools |= {t: slow for t in ALIBI_SLOW if n <= ALIBI_MAX_N.get(t, (n, ""))[0]}
        specs.append(folder / f"n{n}.json")
        specs[-1].write_text(json.dumps({"data": str(folder / f"n{n}.npz"), "n": n,
                                         "alpha": ALPHA, "tools": tools}))
    return specs


def run_alibi(specs: list[Path], budget_s: float
              ) -> tuple[dict[str, str], dict[int, list[Row]]] | str:
    """alibi-detect's rows per size, or why there are none."""
    done = subprocess.run([str(ALIBI_PYTHON), str(ALIBI_HELPER), f"{budget_s:.0f}",
                           f"{PROBE_SEEDS}", f"{MAX_CALL_S:.0f}", *map(str, specs)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"alibi-detect failed (exit {done.returncode}): {done.stderr.strip()[-600:]}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    tables: dict[int, list[Row]] = {}
    for spec in report["specs"]:
        rows = tables.setdefault(int(spec["n"]), [])
        for tool, result in spec["tools"].items():
            backend = {"ClassifierDrift": " (sklearn HGB)", "MMDDrift": " (torch)",
                       "LSDDDrift": " (torch)"}.get(tool, "")
            row = Row(f"alibi {tool}{backend}", int(result["wanted"]), int(result["seeds"]),
                      drift=result["drift"], wall_s=result["wall_s"], cpu_s=result["cpu_s"],
                      calls=result["calls"])
            row.note = result.get("error", "") or result.get("stopped", "")
            rows.append(row)
    return report["versions"], tables


def far_flag(alarms: int, seeds: int) -> str:
    p = stats.binomtest(alarms, seeds, ALPHA, alternative="greater").pvalue
    return "!" if p < 0.01 else " "


def print_table(n: int, rows: list[Row]) -> None:
    print(f"\n{f'n={n:,} per side':<20}{'tool':<37} {'seeds':>6} {'false alarms':>13} "
          f"{'mean':>6} {'scale':>6} {'corr':>6} {'ms/call':>9} {'cpu ms':>9}")
    for row in rows:
        done = len(row.drift["none"])
        if done == 0:
            print(f"{'':20}{row.tool:<37} {0:>6}   {row.note or 'not run'}")
            continue
        rates = [sum(v == 1 for v in row.drift[s]) / len(row.drift[s]) for s in SCENARIOS]
        alarms = sum(v == 1 for v in row.drift["none"])
        cells = "".join(f" {r:>6.2f}" for r in rates[1:])
        ms, cpu_ms = (1000 * t / max(row.calls, 1) for t in (row.wall_s, row.cpu_s))
        seeds = f"{done}" + ("*" if done < row.wanted else " ")
        print(f"{'':20}{row.tool:<37} {seeds:>6} {rates[0]:>12.3f}{far_flag(alarms, done)}"
              f"{cells} {ms:>9.1f} {cpu_ms:>9.1f}")
        insufficient = sum(v == -1 for s in SCENARIOS for v in row.drift[s])
        if insufficient:
            print(f"{'':22}({insufficient} of {4 * done} verdicts insufficient_data, counted "
                  "as no detection)")
        if row.note:
            print(f"{'':22}({row.note})")


def sources_digest() -> str:
    digest = hashlib.sha1()
    for path in sorted((ROOT / "driftline" / "detector").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 10000])
    parser.add_argument("--budget-s", type=float, default=900.0,
                        help="wall seconds the run aims at (the 2-seed probes always run)")
    parser.add_argument("--seeds-scale", type=float, default=1.0,
                        help="multiply every wanted seed count")
    parser.add_argument("--no-alibi", action="store_true", help="skip the alibi-detect column")
    parser.add_argument("--smoke", action="store_true", help="n=100, 2-3 seeds (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.budget_s = [100], float("inf")
    warnings.simplefilter("ignore")  # e.g. scipy's exact-p fallbacks; verdicts are counted
    t_start, stamp = time.perf_counter(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    use_alibi = not args.no_alibi and ALIBI_PYTHON.exists()
    wanted = {n: wanted_seeds(n, args.seeds_scale, args.smoke) for n in args.sizes}
    print(f"power table: d={N_FEATURES}, alpha={ALPHA}, n per side "
          f"{', '.join(f'{n:,}' for n in args.sizes)}; seeds wanted: "
          + "; ".join(f"n={n:,}: {f} fast / {s} slow" for n, (f, s) in wanted.items())
          + f"; budget {args.budget_s:.0f} s")
    print(f"shifts: mean +{MEAN_SHIFT} sd on x0, scale x{SCALE} on x0, correlation "
          f"0 -> {RHO} between x0 and x1 (marginals unchanged); standard normal reference")
    print(f"driftline detectors at {stamp}, driftline/detector sources sha1 {sources_digest()}: "
          f"{', '.join(available_detectors())}")
    local_budget = args.budget_s * (1 - ALIBI_SHARE if use_alibi else 1.0)
    tables, notes = run_local(args.sizes, wanted, local_budget)
    local_s = time.perf_counter() - t_start
    alibi: tuple[dict[str, str], dict[int, list[Row]]] | str | None = None
    if use_alibi:
        with tempfile.TemporaryDirectory() as tmp:
            specs = alibi_specs(args.sizes, wanted, Path(tmp))
            alibi = run_alibi(specs, args.budget_s - (time.perf_counter() - t_start))
    if alibi is None:
        reason = "--no-alibi" if args.no_alibi else f"{ALIBI_PYTHON} not found"
        alibi_line = f"alibi-detect skipped ({reason}): driftline and scipy columns only"
    elif isinstance(alibi, str):
        alibi_line = f"alibi-detect skipped: {alibi}"
    else:
        versions, alibi_tables = alibi
        for n, extra in alibi_tables.items():
            tables[n].extend(extra)
        alibi_line = "alibi-detect " + ", ".join(f"{k} {v}" for k, v in versions.items())
    for n, rows in tables.items():
        print_table(n, rows)
    print()
    for note in notes:
        print(f"note: {note}")
    for tool, (limit, why) in ALIBI_MAX_N.items():
        if use_alibi and any(n > limit for n in args.sizes):
            print(f"note: alibi {tool} not run above n={limit:,} ({why} at n=10,000 on 2 shared "
                  "cores)")
    print("columns: rate of drift verdicts over seeds; false alarms = rate on no-drift data; "
          "! = false alarms above alpha (binomial p < 0.01), its power is not comparable; "
          "* = fewer seeds than wanted (time budget); ms/call = fit + score, wall; "
          "cpu ms = its CPU time (all threads)")
    print(alibi_line)
    usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    total = time.perf_counter() - t_start
    load = os.getloadavg()[0]
    print(f"total: {total:.0f} s wall ({local_s:.0f} s driftline + scipy, "
          f"{total - local_s:.0f} s alibi-detect), {cpu:.0f} s CPU, {os.cpu_count()} cores, "
          f"load average {load:.1f}")


if __name__ == "__main__":
    main()

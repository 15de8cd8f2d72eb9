"""A full drift check of one model over a window of stored events: pushdown + sample vs pulling.

Run: ``python benchmarks/bench_full_check.py [--rows 1000000] [--smoke]`` (``--smoke``, for CI:
20,000 rows and MMD on 1000-row samples).

Data (setup, not timed): one model ``bench`` with 20 float features ``f0..f19`` and a
prediction, one event per second, stored in an embedded chDB store in a temporary directory:
a reference period of ``rows // 5`` events ``[T0, T0 + rows/5)`` followed by the window of
``rows`` events. In the second half of the window ``f0`` shifts its mean, ``f1`` its scale and
``f2`` both; ``f3..f5`` have ~1% missing values in the window (0.5% in the reference).

The check (KS + PSI + null rates + one MMD on all 20 features):

* ours: ``Engine(store).evaluate`` of three monitors over the window against the fixed
  reference: ``ks`` (reads a deterministic sample of ``max_rows`` rows per side: 100k, and
  again with the default 200k), ``psi`` (bin counts computed in ClickHouse, no raw row read)
  and ``mmd`` (100 permutations on a 5000-row deterministic sample per side). Every
  ``evaluate`` also runs ``numeric_profile`` (count, nulls, moments, quantiles in ClickHouse),
  which gives the null rates, and stores its results. Fitting on the reference is included
  (a new Engine per run).
* baseline (scipy): pull the window and the reference (the 20 feature columns) into pandas
  through the same chDB, then ``ks_2samp`` per feature, PSI with numpy per feature (10
  reference-quantile bins, epsilon 1e-4 as ours), null rates with pandas, and an MMD
  permutation test done the naive way on a 5000-row sample per side: the pooled Gaussian
  kernel matrix (float64, median-heuristic bandwidth), and per permutation the three kernel
  blocks gathered from it and summed (alibi-detect's approach), 100 permutations.
* baseline (evidently): the same pull written to parquet, then evidently 0.7's
  ``DataDriftPreset`` report run by a separate virtualenv (``--peer-python``, default
  ``/work/peer-venv/bin/python``); its time is the pull (measured in the pulling process) plus
  ``Report.run`` (measured in the evidently process). Skipped with a note if not installed.

Memory: each approach runs in its own subprocess; ``peak RSS`` is that process's
``getrusage(RUSAGE_SELF).ru_maxrss`` at the end (it includes chDB's native memory, numpy,
pandas and the interpreter), ``delta`` is that peak minus the process's RSS just before the
timed part (after imports and opening the store), i.e. what the check itself added at most.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T0 = 1_700_000_000
N_FEATURES = 20
FEATURES = [f"f{i}" for i in range(N_FEATURES)]
MODEL = "bench"
DATABASE = "bench"
INSERT_BATCH = 50_000
MMD_SAMPLES = 5_000
N_PERMUTATIONS = 100
PSI_BINS = 10
PSI_EPS = 1e-4
DEFAULT_PEER = "/work/peer-venv/bin/python"


# -- measuring --------------------------------------------------------------------------------
def rss_now_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


# -- data (setup) -----------------------------------------------------------------------------
def spans(rows: int) -> tuple[tuple[int, int], tuple[int, int]]:
    ref_rows = rows // 5
    return (T0, T0 + ref_rows), (T0 + ref_rows, T0 + ref_rows + rows)


def role_setup(args: argparse.Namespace) -> None:
    import numpy as np

    from driftline.ingest.events import EventBatch
    from driftline.ingest.writer import Ingestor

    (ref_start, ref_end), (win_start, win_end) = spans(args.rows)
    n_total = win_end - ref_start
    rng = np.random.default_rng(20240601)
    means = rng.normal(0.0, 2.0, N_FEATURES)
    scales = rng.uniform(0.5, 3.0, N_FEATURES)
    data = rng.normal(size=(n_total, N_FEATURES)) * scales + means
    in_window = np.arange(n_total) >= (win_start - ref_start)
    shifted = np.arange(n_total) >= (win_start - ref_start) + args.rows // 2
    data[shifted, 0] += 0.5 * scales[0]
    data[shifted, 1] = means[1] + (data[shifted, 1] - means[1]) * 1.5
    data[shifted, 2] = means[2] + (data[shifted, 2] - means[2]) * 1.3 + 0.3 * scales[2]
    for j in (3, 4, 5):
        p = np.where(in_window, 0.01, 0.005)
        data[rng.random(n_total) < p, j] = np.nan
    prediction = 1.0 / (1.0 + np.exp(-(data[:, 0] - means[0]) / scales[0]))

    start = time.perf_counter()
    from driftline.storage import Store

    with Store.chdb(args.dir, database=DATABASE) as store:
        store.migrate()
        # the first event through the Ingestor creates the table and the schema
        first = {"model": MODEL, "event_id": "e0", "timestamp": float(ref_start),
                 "features": {f: float(data[0, j]) for j, f in enumerate(FEATURES)},
                 "prediction": float(prediction[0])}
        report = Ingestor(store).ingest_events([first])
        assert report.accepted == 1, report.as_dict()
        schema = store.events.current_schema(MODEL)
        assert schema is not None
        for lo in range(1, n_total, INSERT_BATCH):
            hi = min(lo + INSERT_BATCH, n_total)
            n = hi - lo
            batch = EventBatch(
                model=MODEL,
                event_id=[f"e{i}" for i in range(lo, hi)],
                ts=(ref_start + np.arange(lo, hi)).astype(np.float64),
                model_version=["v1"] * n,
                prediction=prediction[lo:hi],
                prediction_label=[None] * n,
                prediction_probs=[""] * n,
                latency_ms=np.full(n, np.nan),
                tags=[""] * n,
                features={f: data[lo:hi, j] for j, f in enumerate(FEATURES)},
                kinds=dict(schema.features),
            )
            store.events.insert(batch, schema)
        insert_s = time.perf_counter() - start
        assert store.events.count(MODEL, ref_start, ref_end) == ref_end - ref_start
        assert store.events.count(MODEL, win_start, win_end) == args.rows
        parts = store.select(
            f"SELECT count() AS n, sum(bytes_on_disk) AS b FROM system.parts WHERE active"
            f" AND database = '{DATABASE}' AND table = 'events_{MODEL}'")
    emit({"role": "setup", "events": n_total, "seconds": insert_s,
          "parts": int(parts["n"][0]), "disk_mb": int(parts["b"][0]) / 1e6})


# -- ours -------------------------------------------------------------------------------------
def role_ours(args: argparse.Namespace) -> None:
    from driftline.engine.monitor import Monitor
    from driftline.engine.runner import Engine
    from driftline.engine.windows import ReferenceSpec, Span, WindowSpec
    from driftline.storage import Store

    (ref_start, ref_end), (win_start, win_end) = spans(args.rows)
    window = WindowSpec.tumbling(win_end - win_start, origin=win_start)
    reference = ReferenceSpec.fixed(ref_start, ref_end)
    monitors = [
        Monitor.drift("ks", MODEL, "ks", window, reference, max_rows=args.ks_max_rows),
        Monitor.drift("psi", MODEL, "psi", window, reference),
        Monitor.drift("mmd", MODEL, "mmd", window, reference,
                      settings={"n_permutations": N_PERMUTATIONS, "max_samples": MMD_SAMPLES}),
    ]
    span = Span(win_start, win_end)
    with Store.chdb(args.dir, database=DATABASE) as store:
        store.events.current_schema(MODEL)  # opening the store is not part of a check
        store_calls: dict[str, list[float]] = {}
        for group, name in (("events", "count"), ("events", "read"), ("events", "bin_counts"),
                            ("events", "numeric_profile"), ("results", "insert")):
            _time_calls(getattr(store, group), name, f"{group}.{name}", store_calls)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
        rss_before = rss_now_mb()
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        engine = Engine(store)
        per_test: dict[str, dict[str, Any]] = {}
        for monitor in monitors:
            before = {k: sum(v) for k, v in store_calls.items()}
            t = time.perf_counter()
            result = engine.evaluate(monitor, span).outcome
            seconds = time.perf_counter() - t
            db = {k: sum(v) - before.get(k, 0.0) for k, v in store_calls.items()}
            per_test[monitor.id] = {
                "seconds": seconds, "store": {k: v for k, v in db.items() if v > 0},
                "drifted": sorted(result.drifted_features) if result.features
                else bool(result.drifted),
                "n_reference": result.n_reference, "n_window": result.n_window}
        if profiler is not None:
            profiler.disable()
        total = time.perf_counter() - start
        peak = peak_rss_mb()
        if profiler is not None:
            import pstats

            out = Path(args.profile)
            profiler.dump_stats(str(out))
            stats = pstats.Stats(str(out), stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(20)
    emit({"role": "ours", "ks_max_rows": args.ks_max_rows, "seconds": total,
          "per_test": per_test, "peak_mb": peak, "delta_mb": peak - rss_before})


def _time_calls(group: Any, name: str, key: str, into: dict[str, list[float]]) -> None:
    """Time every call of ``group.name`` (e.g. ``store.events.count``) into ``into[key]``."""
    method = getattr(group, name)
    into[key] = []

    def timed(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return method(*a, **kw)
        finally:
            into[key].append(time.perf_counter() - t)

    setattr(group, name, timed)


# -- baselines ----------------------------------------------------------------------------------
def _pull(store: Any, start: int, end: int) -> Any:
    """What a user without pushdown does: the window's feature columns into a DataFrame (all
    rows, ``FINAL``, in time order, through the store's public read)."""
    import pandas as pd

    return pd.DataFrame(store.events.read(MODEL, FEATURES, start, end))


def _pull_both(args: argparse.Namespace) -> tuple[Any, Any, float, Any]:
    from driftline.storage import Store

    (ref_start, ref_end), (win_start, win_end) = spans(args.rows)
    store = Store.chdb(args.dir, database=DATABASE)
    store.events.current_schema(MODEL)
    rss_before = rss_now_mb()
    t = time.perf_counter()
    ref = _pull(store, ref_start, ref_end)
    win = _pull(store, win_start, win_end)
    pull_s = time.perf_counter() - t
    assert len(win) == args.rows and len(ref) == ref_end - ref_start
    return ref, win, pull_s, (store, rss_before)


def role_scipy(args: argparse.Namespace) -> None:
    import numpy as np
    from scipy.stats import ks_2samp

    start = time.perf_counter()
    ref, win, pull_s, (store, rss_before) = _pull_both(args)
    parts: dict[str, float] = {"pull": pull_s}

    t = time.perf_counter()
    ks = {f: ks_2samp(ref[f].dropna().to_numpy(), win[f].dropna().to_numpy()) for f in FEATURES}
    parts["ks"] = time.perf_counter() - t

    t = time.perf_counter()
    psi = {}
    for f in FEATURES:
        r, w = ref[f].dropna().to_numpy(), win[f].dropna().to_numpy()
        edges = np.unique(np.quantile(r, np.arange(1, PSI_BINS) / PSI_BINS))
        bins = np.concatenate(([-np.inf], edges, [np.inf]))
        pr = np.histogram(r, bins)[0] / len(r)
        pw = np.histogram(w, bins)[0] / len(w)
        pr, pw = np.where(pr == 0, PSI_EPS, pr), np.where(pw == 0, PSI_EPS, pw)
        psi[f] = float(np.sum((pw - pr) * np.log(pw / pr)))
    parts["psi"] = time.perf_counter() - t

    t = time.perf_counter()
    nulls = win.isna().mean().to_dict()
    nulls_ref = ref.isna().mean().to_dict()
    parts["null_rates"] = time.perf_counter() - t

    t = time.perf_counter()
    ref_np, win_np = ref.to_numpy(), win.to_numpy()
    parts["to_numpy"] = time.perf_counter() - t
    mmd_p, parts["mmd"], perm_loop_s, kernel, n_ref = _naive_mmd(ref_np, win_np)
    total = time.perf_counter() - start
    peak = peak_rss_mb()
    alibi_mmd_s = _alibi_probe(kernel, n_ref)  # after the peak: not in the time or the memory
    sizes = {"window_mb": float(win.memory_usage(deep=True).sum()) / 1e6,
             "reference_mb": float(ref.memory_usage(deep=True).sum()) / 1e6}
    store.close()
    emit({"role": "scipy", "seconds": total, "parts": parts, "peak_mb": peak,
          "delta_mb": peak - rss_before, **sizes,
          "ks_drifted": sorted(f for f, r in ks.items() if r.pvalue < 0.05),
          "psi_drifted": sorted(f for f, v in psi.items() if v > 0.2),
          "null_rates": {f: round(v, 4) for f, v in nulls.items() if v or nulls_ref[f]},
          "mmd_p": mmd_p, "alibi_mmd_s": alibi_mmd_s, "perm_loop_s": perm_loop_s})


def _naive_mmd(ref: Any, win: Any) -> tuple[float, float, float, Any, int]:
    """An MMD permutation test the straightforward numpy way, one permutation at a time.

    The pooled Gaussian kernel matrix (float64, median-heuristic bandwidth on the reference) is
    computed once; each permutation relabels the pooled sample and gets its unbiased MMD^2 from
    one kernel matrix-vector product (``K @ labels``). Returns the p-value, the seconds of the
    test and of its permutation loop, the kernel matrix and the reference sample size (for
    ``_alibi_probe``).
    """
    import numpy as np

    t = time.perf_counter()
    rng = np.random.default_rng(0)
    ref = ref[~np.isnan(ref).any(axis=1)]
    win = win[~np.isnan(win).any(axis=1)]
    x = ref[rng.choice(len(ref), min(MMD_SAMPLES, len(ref)), replace=False)]
    y = win[rng.choice(len(win), min(MMD_SAMPLES, len(win)), replace=False)]
    mu, sd = x.mean(axis=0), x.std(axis=0)
    x, y = (x - mu) / sd, (y - mu) / sd
    z = np.vstack([x, y])
    sq = (z * z).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    n, m = len(x), len(y)
    sigma2 = float(np.median(d2[:n, :n][np.triu_indices(n, 1)])) / 2.0  # median heuristic
    k = np.exp(-d2 / (2.0 * sigma2))
    del d2
    rowsum = k.sum(axis=1)
    total = float(rowsum.sum())

    def mmd2(a: Any) -> float:  # a: 1.0 on the rows labelled reference, 0.0 on the window
        ka = k @ a
        s_xx = float(a @ ka) - n  # the Gaussian diagonal is 1
        s_xy = float(rowsum @ a) - float(a @ ka)
        s_yy = total - 2.0 * float(rowsum @ a) + float(a @ ka) - m
        return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2.0 * s_xy / (n * m)

    labels = np.concatenate([np.ones(n), np.zeros(m)])
    observed = mmd2(labels)
    loop = time.perf_counter()
    permuted = np.asarray([mmd2(rng.permutation(labels)) for _ in range(N_PERMUTATIONS)])
    p_value = float(np.mean(observed <= permuted))
    seconds = time.perf_counter() - t
    return p_value, seconds, time.perf_counter() - loop, k, n


def _alibi_probe(k: Any, n: int, probes: int = 3) -> float:
    """Seconds alibi-detect's way would take for all permutations (``K[perm][:, perm]``
    gathered and summed per permutation), extrapolated from ``probes`` permutations: too slow
    to run all of them here."""
    import numpy as np

    rng = np.random.default_rng(1)
    m = len(k) - n
    g = time.perf_counter()
    for _ in range(probes):
        idx = rng.permutation(n + m)
        kp = k[idx][:, idx]
        _ = ((kp[:n, :n].sum() - n) / (n * (n - 1)) + (kp[n:, n:].sum() - m) / (m * (m - 1))
             - 2.0 * kp[:n, n:].mean())
        del kp
    return (time.perf_counter() - g) / probes * N_PERMUTATIONS


def role_pull(args: argparse.Namespace) -> None:
    ref, win, pull_s, (store, rss_before) = _pull_both(args)
    peak = peak_rss_mb()
    store.close()
    ref.to_parquet(Path(args.dir).parent / "reference.parquet")
    win.to_parquet(Path(args.dir).parent / "window.parquet")
    emit({"role": "pull", "seconds": pull_s, "peak_mb": peak, "delta_mb": peak - rss_before})


def role_evidently(args: argparse.Namespace) -> None:
    """Runs under the peer virtualenv (evidently 0.7), without driftline."""
    import pandas as pd
    from evidently import Report  # type: ignore[import-not-found]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]

    ref = pd.read_parquet(Path(args.dir).parent / "reference.parquet")
    win = pd.read_parquet(Path(args.dir).parent / "window.parquet")
    rss_before = rss_now_mb()
    t = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(win, ref)
    seconds = time.perf_counter() - t
    peak = peak_rss_mb()
    drifted: Any = None
    methods = set()
    try:
        for metric in snapshot.dict().get("metrics", []):
            name = str(metric.get("metric_name", ""))
            if name.startswith("DriftedColumnsCount"):
                drifted = {k: float(v) for k, v in metric.get("value", {}).items()}
            elif name.startswith("ValueDrift"):
                methods.add(str(metric.get("config", {}).get("method")))
    except Exception:  # a summary line only
        pass
    import evidently

    emit({"role": "evidently", "seconds": seconds, "peak_mb": peak,
          "delta_mb": peak - rss_before, "drifted_columns": drifted, "methods": sorted(methods),
          "version": evidently.__version__})


# -- driver -------------------------------------------------------------------------------------
def run_role(role: str, args: argparse.Namespace, *extra: str, python: str = sys.executable
             ) -> dict[str, Any] | None:
    cmd = [python, str(Path(__file__).resolve()), "--role", role, "--dir", args.dir,
           "--rows", str(args.rows), "--mmd-samples", str(args.mmd_samples), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if args.verbose or proc.returncode != 0:
        sys.stderr.write(proc.stderr)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT "):]))
    sys.stderr.write(f"{role} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n")
    return None


def main() -> None:
    global MMD_SAMPLES
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="events in the window")
    parser.add_argument("--smoke", action="store_true",
                        help="20,000 rows, MMD on 1000-row samples: seconds (CI)")
    parser.add_argument("--mmd-samples", type=int, default=MMD_SAMPLES, help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", default=DEFAULT_PEER,
                        help="python of a virtualenv with evidently 0.7 (skipped if missing)")
    parser.add_argument("--profile", default="", help="cProfile ours (100k KS) into this file")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--role", default="", help=argparse.SUPPRESS)
    parser.add_argument("--dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--ks-max-rows", type=int, default=200_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.mmd_samples = 20_000, 1_000
    MMD_SAMPLES = args.mmd_samples  # the roles run in subprocesses: passed on by run_role
    if args.role:
        {"setup": role_setup, "ours": role_ours, "scipy": role_scipy, "pull": role_pull,
         "evidently": role_evidently}[args.role](args)
        return

    with tempfile.TemporaryDirectory(prefix="bench_full_check_") as tmp:
        args.dir = str(Path(tmp) / "store")
        ref_rows = args.rows // 5
        print(f"model {MODEL!r}: {N_FEATURES} float features, window {args.rows:,} events, "
              f"reference {ref_rows:,} events (one per second); shift in f0..f2 in the 2nd half "
              "of the window, ~1% nulls in f3..f5", flush=True)
        setup = run_role("setup", args)
        if setup is None:
            sys.exit(1)
        print(f"setup (not timed): {setup['events']:,} events stored in {setup['seconds']:.1f} s"
              f" ({setup['events'] / setup['seconds']:,.0f} rows/s), {setup['parts']} parts, "
              f"{setup['disk_mb']:.0f} MB on disk", flush=True)

        ours = {rows: run_role("ours", args, "--ks-max-rows", str(rows),
                               *(["--profile", args.profile] if args.profile and rows == 100_000
                                 else []))
                for rows in (100_000, 200_000)}
        scipy_res = run_role("scipy", args)
        pull = run_role("pull", args)
        evid = None
        if not Path(args.peer_python).exists():
            print(f"note: {args.peer_python} not found: no evidently baseline (create it with "
                  "`python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install "
                  "'evidently==0.7.*' pandas pyarrow`)")
        elif pull is not None:
            evid = run_role("evidently", args, python=args.peer_python)
            if evid is None:
                print("note: the evidently run failed; comparing with the scipy baseline only")

    print()
    for rows, res in ours.items():
        if res is None:
            continue
        print(f"ours (KS max_rows={rows:,}): per test (each evaluate includes fit on the "
              "reference, numeric_profile for null rates and storing results)")
        for test, info in res["per_test"].items():
            store_s = ", ".join(f"{k} {v:.2f}" for k, v in info["store"].items())
            print(f"  {test:4s} {info['seconds']:6.2f} s  n_ref={info['n_reference']:,} "
                  f"n_win={info['n_window']:,}  drifted={info['drifted']}  [store: {store_s}]")
    if scipy_res is not None:
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in scipy_res["parts"].items())
        print(f"baseline scipy: {parts}")
        print(f"  pulled data: window {scipy_res['window_mb']:.0f} MB, reference "
              f"{scipy_res['reference_mb']:.0f} MB (pandas); KS drifted "
              f"{scipy_res['ks_drifted']}, PSI>0.2 {scipy_res['psi_drifted']}, MMD p="
              f"{scipy_res['mmd_p']:.2f}, null rates {scipy_res['null_rates']}")
        print(f"  MMD here: pooled kernel once + one K @ labels per permutation; alibi-detect's "
              f"K[perm][:, perm] per permutation would take ~{scipy_res['alibi_mmd_s']:.0f} s "
              f"for {N_PERMUTATIONS} permutations (timed on 3, not in the total)")
    if evid is not None and pull is not None:
        print(f"baseline evidently {evid['version']}: pull {pull['seconds']:.2f} s + "
              f"Report(DataDriftPreset).run {evid['seconds']:.2f} s; drifted columns "
              f"{evid['drifted_columns']}; per-column method {evid['methods']}")

    rows_out: list[tuple[str, float, float, float]] = []
    for rows, res in ours.items():
        if res is not None:
            rows_out.append((f"ours: pushdown + sample (KS {rows // 1000}k rows)",
                             res["seconds"], res["peak_mb"], res["delta_mb"]))
    if scipy_res is not None:
        rows_out.append(("pull + scipy/numpy (KS, PSI, nulls, MMD)", scipy_res["seconds"],
                         scipy_res["peak_mb"], scipy_res["delta_mb"]))
        rows_out.append(("  same, alibi-style MMD perms (extrapolated)",
                         scipy_res["seconds"] - scipy_res["perm_loop_s"]
                         + scipy_res["alibi_mmd_s"], float("nan"), float("nan")))
    if evid is not None and pull is not None:
        rows_out.append(("pull + evidently DataDriftPreset", pull["seconds"] + evid["seconds"],
                         max(pull["peak_mb"], evid["peak_mb"]),
                         max(pull["delta_mb"], evid["delta_mb"])))
    best_ours = min((r[1] for r in rows_out if r[0].startswith("ours")), default=float("nan"))
    print()
    print(f"full check, window {args.rows:,} events x {N_FEATURES} features "
          f"(reference {ref_rows:,}); peak = ru_maxrss of the approach's own process "
          "(incl. chDB native memory), delta = peak - RSS before the timed part")
    print(f"{'approach':46s} {'seconds':>8s} {'peak MB':>8s} {'delta MB':>9s} "
          f"{'/ ours(100k)':>14s}")
    base = rows_out[0][1] if rows_out and rows_out[0][0].startswith("ours") else best_ours
    for name, seconds, peak, delta in rows_out:
        print(f"{name:46s} {seconds:8.2f} {peak:8.0f} {delta:9.0f} {seconds / base:13.1f}x")
    if evid is not None and pull is not None:
        print("(evidently: peak/delta are the larger of the pull process and the evidently "
              "process)")
    print("(last column: seconds / seconds of ours with KS on 100k rows = the speedup of ours;"
          " the extrapolated row replaces the measured MMD permutation loop by alibi-detect's"
          " gather per permutation, timed on 3 permutations)")
    if scipy_res is None or any(res is None for res in ours.values()):
        sys.exit(1)  # a role failed (its error is above): the figures are incomplete


if __name__ == "__main__":
    main()

"""Every benchmark script runs at its ``--smoke`` size and prints the line it always prints.

Each script runs in a subprocess of this interpreter, with this tree first on ``PYTHONPATH``.
Nothing here looks at a time or a ratio's value: performance is what the scripts report, at
their full sizes, never an assertion of the test suite. Peers that are not installed (alibi-
detect, evidently, torch) are reported by the scripts as such, and the run still passes.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
TIMEOUT_S = 240


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_smoke(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), "--smoke", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, (
        f"{script} --smoke exited {done.returncode}\n{done.stdout[-3000:]}\n"
        f"{done.stderr[-3000:]}")
    return done.stdout


def _has(out: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, out, re.MULTILINE), f"no line matching {pattern!r} in:\n{out}"


def test_every_script_has_a_smoke_test() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_bench")}
    scripts = {path.stem for path in BENCHMARKS.glob("bench_*.py")}
    assert scripts == tested


def test_bench_ks() -> None:
    _has(run_smoke("bench_ks.py"), r"^speedup \(scipy / ours\): [\d.]+x$",
         r"^max \|p - p_scipy\|: +\S+$")


def test_bench_mmd() -> None:
    out = run_smoke("bench_mmd.py")
    _has(out, r"^n=200: driftline fit [\d.]+ s \+ test [\d.]+ s, p=",
         r"^  (alibi-detect not available|speedup: total [\d.]+x)",
         r"^n=500 \(driftline only\): fit ")


def test_bench_lsdd() -> None:
    _has(run_smoke("bench_lsdd.py"), r"^n=300: driftline fit [\d.]+ s, per window [\d.]+ s",
         r"^  (alibi-detect not available|speedup: fit [\d.]+x)")


def test_bench_sdk() -> None:
    _has(run_smoke("bench_sdk.py"), r"^SDK, destination up .* x[\d.]+ / x[\d.]+ of baseline",
         r"^SDK, destination down \(spool\) .* of baseline", r"^mean SDK \(up\) [\d.]+ us")


@pytest.mark.slow
def test_bench_ingest() -> None:
    # (c) against a closed port: the unreachable-server path, never a real server's data
    out = run_smoke("bench_ingest.py", "--clickhouse-url",
                    f"clickhouse://127.0.0.1:{_closed_port()}/bench")
    _has(out, r"^\(a\) SDK -> HTTP .*: 2000 rows in .* rows/s; row by row .*; x\d+",
         r"^\(b\) Ingestor -> chDB.*: 2000 rows in .* rows/s; row by row .*; x\d+",
         r"^\(c\) skipped: the ClickHouse server at .* is unreachable")


@pytest.mark.slow
def test_bench_full_check() -> None:
    out = run_smoke("bench_full_check.py", "--peer-python", "/nonexistent/python")
    _has(out, r"^setup \(not timed\): 24,000 events stored",
         r"^ours: pushdown \+ sample \(KS 100k rows\) +[\d.]+ +\d+ +\d+ +1\.0x$",
         r"^pull \+ scipy/numpy \(KS, PSI, nulls, MMD\) +[\d.]+ .*x$",
         r"^note: /nonexistent/python not found: no evidently baseline")


def test_bench_mmd_gpu() -> None:
    _has(run_smoke("bench_mmd_gpu.py"),
         r"^(no torch/GPU: skipped|n= +300: torch fit .* \| numpy fit .* OK)")


def test_bench_cvm() -> None:
    _has(run_smoke("bench_cvm.py"), r"^tied-1000 +\d+ +\d+ +[\d.]+")


def test_bench_false_alarms() -> None:
    _has(run_smoke("bench_false_alarms.py"), r"^cells above the binomial bound: \d+ of \d+")


@pytest.mark.slow
def test_bench_power() -> None:
    _has(run_smoke("bench_power.py"), r"^total: [\d.]+ s wall")


@pytest.mark.slow
def test_bench_classifier() -> None:
    _has(run_smoke("bench_classifier.py"), r"^classifier drift test, n=200 per side")

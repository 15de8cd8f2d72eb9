"""Caller-thread cost of ``Client.log_prediction`` (20 float features), next to a baseline.

Run: ``python benchmarks/bench_sdk.py [--calls 200000] [--smoke]`` (``--smoke``: 2000 calls,
for CI). Three runs in this process, GC on:

* baseline: ``queue.SimpleQueue.put`` of the same dict (the least any queueing logger costs);
* SDK, destination up: an exporter that JSON-encodes each batch (the worker's real CPU work,
  competing for the GIL) and discards it;
* SDK, destination down: ``HttpExporter`` to a closed port with a disk spool; the second half of
  the calls must cost what the first half did (no growth) while batches pile up in the spool.

Prints p50 / p99 / p99.9 in microseconds and the ratios to the baseline. Goal: p50 < 5 us,
p99 < 50 us.
"""

from __future__ import annotations

import argparse
import queue
import random
import resource
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

from driftline.sdk import Client, ExportResult, HttpExporter
from driftline.sdk._json import dumps


class EncodingExporter:
    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult:
        dumps({"events": events})
        return ExportResult(accepted=len(events) + len(labels))

    def close(self) -> None:
        pass


def _percentiles(ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(ns)
    n = len(ordered)
    return (ordered[n // 2] / 1e3, ordered[int(n * 0.99)] / 1e3, ordered[int(n * 0.999)] / 1e3)


def _timed_calls(call: Callable[[], object], n: int) -> list[int]:
    clock = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        start = clock()
        call()
        out[i] = clock() - start
    return out


def _row(name: str, ns: list[int], base: tuple[float, float, float] | None = None) -> None:
    p50, p99, p999 = _percentiles(ns)
    ratio = f"   x{p50 / base[0]:.1f} / x{p99 / base[1]:.1f} of baseline" if base else ""
    print(f"{name:<34} p50 {p50:6.2f} us  p99 {p99:6.2f} us  p99.9 {p999:7.2f} us{ratio}")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--smoke", action="store_true", help="2000 calls, seconds (CI)")
    args = parser.parse_args()
    n = 2000 if args.smoke else args.calls
    rng = random.Random(1)
    features = {f"f{i}": rng.random() for i in range(20)}
    print(f"{n} calls per run, 20 float features, GC on")

    simple: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    baseline = _timed_calls(
        lambda: simple.put(
            {"model": "m", "features": dict(features), "prediction": 0.5, "timestamp": time.time()}
        ),
        n,
    )
    base = _percentiles(baseline)
    _row("baseline SimpleQueue.put", baseline)

    up = Client(EncodingExporter(), model="bench", max_queue_size=n + 1)
    sdk_up = _timed_calls(lambda: up.log_prediction(features, 0.5), n)
    up.flush(60)
    _row("SDK, destination up", sdk_up, base)
    print(f"  stats: {up.stats}")
    up.shutdown()

    with tempfile.TemporaryDirectory() as spool:
        down = Client(
            HttpExporter(f"http://127.0.0.1:{_closed_port()}", timeout=1.0),
            model="bench",
            spool_dir=spool,
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sdk_down = _timed_calls(lambda: down.log_prediction(features, 0.5), n)
        down.flush(60)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _row("SDK, destination down (spool)", sdk_down, base)
        _row("  first half", sdk_down[: n // 2], base)
        _row("  second half", sdk_down[n // 2 :], base)
        stats = down.stats
        spool_mb = down._spool.bytes / 1e6 if hasattr(down._spool, "bytes") else 0.0
        print(f"  stats: {stats}")
        print(
            f"  spool {spool_mb:.1f} MB on disk, queue {stats.queued}, "
            f"max RSS {rss_before / 1e3:.0f} -> {rss_after / 1e3:.0f} MB"
        )
        down.shutdown(timeout=2)
    mean_up = statistics.fmean(sdk_up) / 1e3
    print(f"mean SDK (up) {mean_up:.2f} us per call; goal p50 < 5 us, p99 < 50 us")


if __name__ == "__main__":
    main()

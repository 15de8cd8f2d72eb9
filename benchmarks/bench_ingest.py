"""Ingest throughput, each path next to a naive row-by-row baseline run in the same process.

Run: ``python benchmarks/bench_ingest.py [--events 200000] [--clickhouse-url URL]
[--sdk-batch 10000] [--only abc] [--smoke]`` (``--smoke``, for CI: 2000 events in SDK batches
of 500, baselines of 20 events).

(a) SDK -> HTTP -> the service (``python -m driftline.api`` subprocess, chDB) -> chDB; the
    SDK sends columnar batches in the binary format (numeric columns as raw float64, built
    on its worker thread), two requests in flight;
    baseline: one ``POST /v1/events`` per event.                 goal >= 100k events/s
(b) ``Ingestor.ingest_columns`` (numpy columns, as ``ingest_frame`` gives) into embedded
    chDB in 100k-row batches; also the row path (``ingest_events``, 50k batches) for
    comparison; baseline: one ``ingest_events`` (one INSERT) per event.  goal >= 500k rows/s
(c) the same into the ClickHouse server at ``--clickhouse-url`` (skipped if unreachable).
Events have 20 float features and a prediction; baselines run 500 events, extrapolated.
The rates are wall-clock: on a small shared machine, run it a few times.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from driftline.ingest.writer import Ingestor
from driftline.sdk import Client, HttpExporter
from driftline.sdk._columns import to_columns
from driftline.sdk._json import dumps
from driftline.storage import Store
from driftline.wire import encode_binary

BATCH = 50_000
COLUMN_BATCH = 100_000
NAIVE = 500
T0 = 1_700_000_000.0


def make_events(n: int, model: str) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [
        {
            "model": model,
            "event_id": uuid.uuid4().hex,
            "timestamp": T0 + i * 0.01,
            "features": {f"f{j}": rng.random() for j in range(20)},
            "prediction": rng.random(),
        }
        for i in range(n)
    ]


def make_columns(n: int, offset: int = 0) -> dict[str, Any]:
    """The columnar form of ``n`` events: numpy arrays, as ``ingest_frame`` passes them."""
    rng = np.random.default_rng(7 + offset)
    return {
        "event_id": np.array([uuid.uuid4().hex for _ in range(n)], dtype=object),
        "timestamp": T0 + (offset + np.arange(n)) * 0.01,
        "prediction": rng.random(n),
        "features": {f"f{j}": rng.random(n) for j in range(20)},
    }


def report(name: str, n: int, seconds: float, naive_n: int, naive_s: float, size: str) -> None:
    rate, naive_rate = n / seconds, naive_n / naive_s
    print(
        f"{name}: {n} rows in {seconds:.2f} s = {rate:,.0f} rows/s; row by row "
        f"{naive_rate:,.0f}/s ({naive_n} events); x{rate / naive_rate:.0f}; {size}",
        flush=True,
    )


def bench_store(name: str, store: Store, n: int) -> None:
    store.migrate()
    ingestor = Ingestor(store)
    ingestor.ingest_events(make_events(10, "bench"))  # schema creation is not part of the rate
    ingestor.ingest_events(make_events(10, "bench_rows"))
    batches = [make_columns(min(COLUMN_BATCH, n - i), i) for i in range(0, n, COLUMN_BATCH)]
    start = time.perf_counter()
    for columns in batches:
        report_ = ingestor.ingest_columns("bench", columns)
        assert report_.accepted == len(columns["event_id"]), report_.rejected[:3]
    seconds = time.perf_counter() - start
    events = make_events(n, "bench_rows")
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        assert ingestor.ingest_events(events[i : i + BATCH]).accepted == len(events[i : i + BATCH])
    rows_s = time.perf_counter() - start
    naive = make_events(NAIVE, "bench_naive")
    ingestor.ingest_events(naive[:1])
    start = time.perf_counter()
    for event in naive[1:]:
        ingestor.ingest_events([event])
    naive_s = time.perf_counter() - start
    assert store.events.count("bench") == n + 10
    assert store.events.count("bench_rows") == n + 10
    report(f"{name}, ingest_columns (numpy, {COLUMN_BATCH // 1000}k batches)", n, seconds,
           NAIVE - 1, naive_s, f"the row path (ingest_events, {BATCH // 1000}k batches): "
           f"{n / rows_s:,.0f} rows/s, x{rows_s / seconds:.1f} slower")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(n: int, data_dir: Path, batch: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "driftline.api",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "DRIFTLINE_RETENTION_S": "0"},  # T0 is in 2023
    )
    try:
        with httpx.Client(timeout=5.0) as http:
            for _ in range(600):
                try:
                    if http.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            events = make_events(n, "bench")
            http.post(f"{url}/v1/events", json={"events": events[:10]})  # schema creation
            client = Client(
                HttpExporter(url, timeout=60.0),
                model="bench",
                max_batch_size=batch,
                max_queue_size=n + 1,
                flush_interval_s=0.05,
            )
            start = time.perf_counter()
            for e in events:
                client.log_prediction(
                    e["features"], e["prediction"], event_id=e["event_id"], timestamp=e["timestamp"]
                )
            assert client.flush(300), client.stats
            seconds = time.perf_counter() - start
            stats = client.stats
            client.shutdown()
            assert stats.exported == n, stats
            naive = make_events(NAIVE, "bench_naive")
            start = time.perf_counter()
            for event in naive:
                http.post(f"{url}/v1/events", json={"events": [event]}).raise_for_status()
            naive_s = time.perf_counter() - start
        mb = len(encode_binary("bench", to_columns(events), {}, dumps)) / 1e6
        report(
            "(a) SDK -> HTTP (columnar) -> service -> chDB",
            n,
            seconds,
            NAIVE,
            naive_s,
            f"{mb:.0f} MB in the binary columnar format, batches of {batch // 1000}k",
        )
    finally:
        service.terminate()
        service.wait(60)


def main() -> None:
    global NAIVE
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clickhouse-url", default="clickhouse://127.0.0.1:19000/bench")
    parser.add_argument("--sdk-batch", type=int, default=10_000, help="SDK max_batch_size")
    parser.add_argument("--only", default="abc", help="which benchmarks to run, e.g. 'ab'")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.sdk_batch, NAIVE = 2000, 500, 20
    with tempfile.TemporaryDirectory() as tmp:
        if "a" in args.only:
            bench_http(args.events, Path(tmp) / "service", args.sdk_batch)
        if "b" in args.only:
            with Store.chdb(Path(tmp) / "embedded", database="bench") as store:
                bench_store("(b) Ingestor -> chDB", store, args.events)
    if "c" not in args.only:
        return
    from driftline.errors import StoreError

    server = Store.clickhouse(args.clickhouse_url, timeout_s=60.0)
    try:
        server.ping()
    except StoreError as exc:
        print(f"(c) skipped: the ClickHouse server at {args.clickhouse_url} is unreachable: {exc}")
        return
    try:
        server.drop_database()
        bench_store(
            f"(c) Ingestor -> ClickHouse {'.'.join(map(str, server.backend.version))}",
            server,
            args.events,
        )
    finally:
        server.drop_database()
        server.close()


if __name__ == "__main__":
    main()

"""End to end: SDK -> HTTP -> the service in a subprocess -> chDB, through outages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from driftline.sdk import Client, HttpExporter
from tests.sdk.conftest import AppServer, ServiceProcess


def _flush_until_delivered(client: Client, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not client.flush(timeout=10):
        assert time.monotonic() < deadline, f"not delivered: {client.stats}"
        time.sleep(0.1)


def test_service_down_for_a_while_then_every_event_once(
    tmp_path: Path, service: ServiceProcess
) -> None:
    n = 5_000
    client = Client(
        HttpExporter(service.url, timeout=5.0),
        model="m",
        max_batch_size=1_000,
        flush_interval_s=0.2,
        spool_dir=tmp_path / "spool",
    )
    try:
        ids = [client.log_prediction({"x": float(i), "y": i % 7 * 1.5}, i % 2) for i in range(n)]
        assert not client.flush(timeout=10)  # nothing listens yet
        assert client.stats.spooled == n
        assert client.stats.exported == 0
        service.start()
        _flush_until_delivered(client)
        stored = service.event_ids("m")
        assert len(stored) == n
        assert set(stored) == set(ids)
        assert client.stats.redelivered == n
        assert client.stats.dropped == {}
    finally:
        client.shutdown()


def test_service_killed_mid_ingest_loses_no_acknowledged_event(
    tmp_path: Path, service: ServiceProcess
) -> None:
    service.start()
    client = Client(
        HttpExporter(service.url, timeout=5.0),
        model="m",
        max_batch_size=500,
        flush_interval_s=0.05,
        spool_dir=tmp_path / "spool",
    )
    ids: list[str] = []

    def produce() -> None:  # ~20k events over ~4 s, across the kill and the restart
        for i in range(20_000):
            ids.append(client.log_prediction({"x": float(i)}, 0.5))
            if i % 100 == 0:
                time.sleep(0.02)

    producer = threading.Thread(target=produce)
    try:
        producer.start()
        while client.stats.exported < 3_000:
            time.sleep(0.01)
        service.stop(kill=True)  # SIGKILL, batches in flight
        time.sleep(0.5)
        service.start()  # same data directory, same port
        producer.join(60)
        _flush_until_delivered(client)
        stored = service.event_ids("m")
        assert len(ids) == 20_000
        assert len(stored) == len(ids)
        assert set(stored) == set(ids)
        assert client.stats.spooled > 0
        assert client.stats.dropped == {}
    finally:
        producer.join(60)
        client.shutdown()


def test_delivery_resumes_soon_after_an_outage_without_a_flush(app_server: AppServer) -> None:
    n = 300
    client = Client(
        HttpExporter(app_server.url, api_key="k", timeout=5.0),
        model="m",
        max_batch_size=50,
        flush_interval_s=0.05,
        max_probe_interval_s=0.2,
    )
    try:
        ids = {client.log_prediction({"x": float(i)}, 0.5) for i in range(n)}
        for _ in range(8):  # an outage long enough for any backoff to reach its cap
            assert not client.flush(timeout=2)
        assert client.stats.spooled == n
        app_server.start()  # same port; nobody calls flush from here on
        deadline = time.monotonic() + 5  # generous: the probe interval is 0.2 s
        while client.stats.redelivered < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.stats.redelivered == n, client.stats
        rows = httpx.get(f"{app_server.url}/v1/models/m/events",
                         params={"columns": "event_id", "limit": 10_000},
                         headers={"x-api-key": "k"}, timeout=30).json()["rows"]
        assert sorted(r["event_id"] for r in rows) == sorted(ids)  # every event, once
        assert client.stats.dropped == {}
    finally:
        client.shutdown()

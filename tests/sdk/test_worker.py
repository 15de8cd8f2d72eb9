"""The worker thread through its ``WorkerHost``: batches, spools retryable failures, answers
flushes, stops on request. The host here is a small real implementation of the protocol."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from driftline.sdk import MemorySpool
from driftline.sdk.exporters._base import Exporter
from driftline.sdk.spool import Spool
from driftline.sdk.worker import Batch, Worker, WorkerHost, take
from tests.sdk.conftest import RecordingExporter


class Host:
    def __init__(self, exporter: Exporter, *, batch: int = 10) -> None:
        self.exporter = exporter
        self.spool: Spool = MemorySpool(1000)
        self.wake = threading.Event()
        self.max_batch_size = batch
        self.max_in_flight = 1
        self.flush_interval_s = 60.0
        self.max_probe_interval_s = 1.0
        self.events: deque[dict[str, Any]] = deque()
        self.labels: deque[dict[str, Any]] = deque()
        self.stop = False
        self.requested = 0
        self.answered = 0
        self.counts: dict[str, int] = {}
        self.dropped: dict[str, int] = {}

    def queued(self) -> tuple[int, int]:
        return len(self.events), len(self.labels)

    def take_batch(self, size: int) -> Batch:
        return take(self.events, size), take(self.labels, size)

    def stopping(self) -> bool:
        return self.stop

    def flush_wanted(self) -> int:
        return self.requested if self.requested > self.answered else 0

    def flush_answered(self, request: int) -> None:
        self.answered = request

    def count(self, **counts: int) -> None:
        for k, n in counts.items():
            self.counts[k] = self.counts.get(k, 0) + n

    def drop(self, dropped: Mapping[str, int]) -> None:
        for k, n in dropped.items():
            self.dropped[k] = self.dropped.get(k, 0) + n

    def dropped_so_far(self) -> dict[str, int]:
        return dict(self.dropped)


def _wait(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _event(i: int) -> dict[str, Any]:
    return {"model": "m", "event_id": str(i), "timestamp": 1.7e9, "features": {"x": 1.0}}


def test_the_client_host_is_a_worker_host() -> None:
    host: WorkerHost = Host(RecordingExporter())
    assert host.queued() == (0, 0)


def test_full_batches_are_exported_and_a_flush_is_answered() -> None:
    exporter = RecordingExporter()
    host = Host(exporter, batch=10)
    host.events.extend(_event(i) for i in range(25))
    worker = Worker(host)
    worker.start()
    host.wake.set()
    assert _wait(lambda: host.counts.get("exported", 0) == 20)  # two full batches
    host.requested = 1
    host.wake.set()
    assert _wait(lambda: host.answered == 1)
    assert host.counts["exported"] == 25 and host.queued() == (0, 0)
    host.stop = True
    host.wake.set()
    worker.join(5)
    assert not worker.is_alive()


def test_a_retryable_failure_goes_to_the_spool_and_stopping_ends_the_thread() -> None:
    exporter = RecordingExporter()
    exporter.fail = True
    host = Host(exporter, batch=5)
    host.events.extend(_event(i) for i in range(5))
    worker = Worker(host)
    worker.start()
    host.wake.set()
    assert _wait(lambda: len(host.spool) == 1)
    assert host.counts["spooled"] == 5 and host.queued() == (0, 0)
    host.stop = True
    host.wake.set()
    worker.join(5)
    assert not worker.is_alive() and len(host.spool) == 1

"""The background thread of a Client: batches, exports, spools and retries.

One daemon thread per client and process. It wakes when a batch is full, when the flush timer
fires, or when ``flush``/``shutdown`` asks; exports full batches (and on a timer tick or a
flush, the rest); sends a batch that fails with a retryable error to the spool and redelivers
the spool oldest first. While the destination is down it checks whether it is back with
jittered waits that grow from ``MIN_PROBE_INTERVAL_S`` up to the client's
``max_probe_interval_s`` (a cheap ``probe`` where the exporter has one, else the oldest
batch), and redelivers everything at the first check that succeeds. Drops not yet reported
ride on the next batch; on a timer tick, a flush or shutdown with no batch to carry them they
go in a report of their own. Exporter errors are logged at most once per ``LOG_EVERY_S`` per
reason and never raised.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from driftline.sdk.exporters._base import ExportResult, SupportsProbe

if TYPE_CHECKING:
    from driftline.sdk.exporters._base import Exporter
    from driftline.sdk.spool import Spool

__all__ = [
    "LOG_EVERY_S",
    "MAX_PROBE_INTERVAL_S",
    "MIN_PROBE_INTERVAL_S",
    "Batch",
    "RateLimitedLog",
    "Worker",
    "WorkerHost",
    "take",
]

Batch = tuple[list[dict[str, Any]], list[dict[str, Any]]]

logger = logging.getLogger("driftline.sdk")

#: the first wait before checking whether a destination that failed is back
MIN_PROBE_INTERVAL_S = 0.25
#: the default longest wait between two checks (``Client(max_probe_interval_s=...)``)
MAX_PROBE_INTERVAL_S = 1.0
LOG_EVERY_S = 30.0


class RateLimitedLog:
    """Log a warning per ``key`` at most once every ``every_s`` seconds."""

    def __init__(self, every_s: float = LOG_EVERY_S) -> None:
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: Any) -> bool:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.every_s:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += f" ({suppressed} similar messages suppressed)"
        logger.warning(message, *args)
        self._last[key] = now
        return True


def take(queue: deque[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Pop up to ``n`` items from the front of ``queue``."""
    n = min(n, len(queue))
    popleft = queue.popleft
    return [popleft() for _ in range(n)]


class WorkerHost(Protocol):
    """What the worker needs from its client, and nothing else (``Client`` gives it one).

    Settings: ``exporter``, ``spool``, ``max_batch_size``, ``max_in_flight``,
    ``flush_interval_s``, ``max_probe_interval_s``; ``wake`` is set to wake the worker. The
    rest are the operations on the client's queues, flush handshake and counters.
    """

    @property
    def exporter(self) -> Exporter: ...
    @property
    def spool(self) -> Spool: ...
    @property
    def wake(self) -> threading.Event: ...
    @property
    def max_batch_size(self) -> int: ...
    @property
    def max_in_flight(self) -> int: ...
    @property
    def flush_interval_s(self) -> float: ...
    @property
    def max_probe_interval_s(self) -> float: ...

    def queued(self) -> tuple[int, int]:
        """Events and labels waiting in the queues."""
        ...

    def take_batch(self, size: int) -> Batch:
        """Up to ``size`` events and ``size`` labels off the queues, counted as taken."""
        ...

    def stopping(self) -> bool:
        """Whether ``shutdown`` asked the worker to finish."""
        ...

    def flush_wanted(self) -> int:
        """The number of the latest ``flush`` not yet answered, else 0."""
        ...

    def flush_answered(self, request: int) -> None:
        """Every ``flush`` up to ``request`` is done: wake the callers waiting on it."""
        ...

    def count(self, **counts: int) -> None:
        """Add to the ``exported`` / ``spooled`` / ``redelivered`` counters."""
        ...

    def drop(self, dropped: Mapping[str, int]) -> None:
        """Count items dropped, by reason."""
        ...

    def dropped_so_far(self) -> dict[str, int]:
        """Items dropped so far, by reason (what exporters report to the service)."""
        ...


class Worker(threading.Thread):
    """The thread that drains a ``WorkerHost``: see the module docstring."""

    def __init__(self, host: WorkerHost) -> None:
        super().__init__(name="driftline-sdk", daemon=True)
        self.host = host
        self._backoff = 0.0
        self._retry_at = 0.0
        self._reported: dict[str, int] = {}
        self._reported_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.log = RateLimitedLog()

    def run(self) -> None:
        h = self.host
        interval = h.flush_interval_s
        next_tick = time.monotonic() + interval
        while True:
            now = time.monotonic()
            timeout = next_tick - now
            if len(h.spool):
                timeout = min(timeout, self._retry_at - now)
            h.wake.wait(max(0.0, timeout))
            h.wake.clear()
            stopping = h.stopping()
            flush_requested = h.flush_wanted()
            now = time.monotonic()
            urgent = stopping or flush_requested > 0
            tick = now >= next_tick
            if tick:
                next_tick = now + interval
            try:
                self._cycle(force=urgent or tick, urgent=urgent)
                if urgent or tick:
                    self._report_drops()
            except Exception:  # a bug here must never kill the thread
                logger.exception("driftline SDK worker error")
            if flush_requested:
                h.flush_answered(flush_requested)
            if stopping:
                if self._pool is not None:
                    self._pool.shutdown(wait=True)
                return

    def _cycle(self, *, force: bool, urgent: bool) -> None:
        h = self.host
        if len(h.spool) and (urgent or time.monotonic() >= self._retry_at):
            self._redeliver(probe_first=not urgent)  # a flush or shutdown retries right away
        due = sum(h.queued()) if force else 0
        size = h.max_batch_size

        def more() -> bool:
            n_events, n_labels = h.queued()
            return n_events >= size or n_labels >= size or due > 0

        while more():
            # with a backlog, up to max_in_flight batches are exported at once: one is encoded
            # while another waits for the destination (order does not matter: events carry
            # their own ids and times)
            batches: list[Batch] = []
            while len(batches) < h.max_in_flight and more():
                events, labels = h.take_batch(size)
                if not events and not labels:
                    due = 0
                    break
                due -= len(events) + len(labels)
                batches.append((events, labels))
            if not batches:
                break
            self._deliver(batches)

    def _deliver(self, batches: list[Batch]) -> None:
        if len(self.host.spool):  # backing off: keep the order, do not hammer the target
            for events, labels in batches:
                self._to_spool(events, labels)
            return
        if len(batches) == 1:
            results = [self._export(*batches[0])]
        else:
            pool = self._pool or ThreadPoolExecutor(self.host.max_in_flight,
                                                    thread_name_prefix="driftline-export")
            self._pool = pool
            results = list(pool.map(lambda batch: self._export(*batch), batches))
        failed = False
        for (events, labels), result in zip(batches, results, strict=True):
            if result.retryable:
                if not failed:
                    self._failed(result)
                failed = True
                self._to_spool(events, labels)

    def _report_drops(self) -> None:
        """Send the drops not yet reported in a report of their own (no batch carries them)."""
        h = self.host
        if len(h.spool) or sum(h.queued()):  # down, or a batch will carry them
            return
        with self._reported_lock:
            reported = dict(self._reported)
        dropped = h.dropped_so_far()
        if any(n > reported.get(k, 0) for k, n in dropped.items()):
            result = self._export([], [])
            if result.retryable:  # they ride on the next batch (or the next report) instead
                self._failed(result)

    def _redeliver(self, *, probe_first: bool = False) -> None:
        h = self.host
        exporter = h.exporter
        if probe_first and isinstance(exporter, SupportsProbe):
            try:
                answer = exporter.probe()
            except Exception as exc:  # an exporter must not raise; if it does, still down
                answer = ExportResult.retry(f"{type(exc).__name__}: {exc}")
            if answer.retryable:
                self._failed(answer)
                return
        while (batch := h.spool.oldest()) is not None:
            result = self._export(batch.events, batch.labels)
            if result.retryable:
                self._failed(result)
                return
            h.count(redelivered=result.accepted)
            h.spool.ack(batch)
        self._backoff = 0.0

    def _export(self, events: list[dict[str, Any]], labels: list[dict[str, Any]]) -> ExportResult:
        h = self.host
        with self._reported_lock:  # each drop is reported once, by one of the batches
            dropped = h.dropped_so_far()
            deltas = {
                k: n - self._reported.get(k, 0)
                for k, n in dropped.items()
                if n > self._reported.get(k, 0)
            }
            self._reported.update(dropped)
        try:
            result = h.exporter.export(events, labels, dropped=deltas)
        except Exception as exc:
            result = ExportResult.drop_all(
                len(events) + len(labels), "export_failed", f"{type(exc).__name__}: {exc}"
            )
        if result.retryable:
            with self._reported_lock:  # not delivered: report these drops with a later batch
                for k, n in deltas.items():
                    self._reported[k] -= n
            return result
        h.count(exported=result.accepted)
        h.drop(result.dropped)
        if result.error:
            reason = next(iter(result.dropped), "error")
            self.log.warning(
                f"drop:{reason}",
                "driftline: %d items dropped (%s): %s",
                result.rejected,
                reason,
                result.error,
            )
        return result

    def _failed(self, result: ExportResult) -> None:
        # capped at a second or so: a destination that is back gets its backlog within one
        # check, and a check costs one cheap request
        cap = self.host.max_probe_interval_s
        self._backoff = min(max(self._backoff * 2, MIN_PROBE_INTERVAL_S), cap)
        wait = self._backoff * random.uniform(0.5, 1.0)  # jitter: clients do not march in step
        self._retry_at = time.monotonic() + max(wait, result.retry_after_s or 0.0)
        self.log.warning(
            "retry", "driftline: delivery failed, retrying in %.1f s: %s", wait, result.error
        )

    def _to_spool(self, events: list[dict[str, Any]], labels: list[dict[str, Any]]) -> None:
        h = self.host
        dropped = h.spool.put(events, labels)
        h.count(spooled=len(events) + len(labels) - sum(dropped.values()))
        h.drop(dropped)
        if dropped.get("spool_full"):
            self.log.warning(
                "spool_full",
                "driftline: the spool is full, %d items dropped",
                dropped["spool_full"],
            )

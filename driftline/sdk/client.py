"""The SDK client: log predictions and labels from a prediction server, never slowing it down.

``log_prediction`` builds a small dict and appends it to a bounded in-memory queue: O(1), no
I/O, no lock, never raises, never blocks. A background worker (``worker.py``) exports batches;
what cannot be delivered waits in a spool (``spool.py``). Whatever is lost is counted by reason
in ``stats.dropped`` and reported to the service. ``NoopClient`` has the same API and does
nothing: it is what the module-level functions use until ``driftline.init`` is called.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import ConfigurationError
from driftline.sdk.exporters._base import Exporter
from driftline.sdk.spool import DiskSpool, MemorySpool, Spool
from driftline.sdk.worker import MAX_PROBE_INTERVAL_S, Batch, Worker, take

__all__ = ["Client", "ClientStats", "NoopClient"]


@dataclass(frozen=True, slots=True)
class ClientStats:
    """Counters since the client started (in this process): items are events and labels.

    ``dropped`` counts every drop by reason; ``last_flush_dropped`` the drops the last
    ``flush`` found (made since the flush before it: why it returned False), and
    ``dropped_since_flush`` those made since then (what the next ``flush`` will find).
    """

    logged: int = 0
    exported: int = 0
    spooled: int = 0
    redelivered: int = 0
    queued: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    last_flush_dropped: dict[str, int] = field(default_factory=dict)
    dropped_since_flush: dict[str, int] = field(default_factory=dict)


class _Ids:
    """Unique event ids: a random per-process prefix and a counter (``next`` is atomic)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()


_ids = _Ids()
_clients: weakref.WeakSet[Client] = weakref.WeakSet()


class Client:
    """Batches and delivers events to an ``exporter`` from a background thread.

    >>> client = Client(HttpExporter("http://127.0.0.1:8650"), model="fraud")  # doctest: +SKIP
    >>> event_id = client.log_prediction({"amount": 12.5, "country": "FR"}, 0.03)  # +SKIP
    >>> client.log_label(event_id, 0)  # doctest: +SKIP
    """

    def __init__(
        self,
        exporter: Exporter,
        *,
        max_queue_size: int = 100_000,
        max_batch_size: int = 2_000,
        flush_interval_s: float = 1.0,
        spool_dir: str | os.PathLike[str] | None = None,
        max_spool_bytes: int = 256 << 20,
        model: str | None = None,
        model_version: str = "",
        max_in_flight: int = 2,
        max_probe_interval_s: float = MAX_PROBE_INTERVAL_S,
    ) -> None:
        """``max_in_flight``: batches exported at once when there is a backlog (1 = strictly
        one after the other). ``max_probe_interval_s``: while the destination is down, the
        longest wait between two checks whether it is back (the waits grow, with jitter, up
        to it); delivery resumes at the first check that finds it back."""
        if max_in_flight < 1:
            raise ConfigurationError(f"max_in_flight must be >= 1, got {max_in_flight}")
        if not max_probe_interval_s > 0:
            raise ConfigurationError(
                f"max_probe_interval_s must be > 0, got {max_probe_interval_s}")
        self.max_in_flight = max_in_flight
        self.max_probe_interval_s = max_probe_interval_s
        self.exporter = exporter
        self.max_queue_size = max_queue_size
        self.max_batch_size = max_batch_size
        self.flush_interval_s = flush_interval_s
        self.spool_dir = spool_dir
        self.max_spool_bytes = max_spool_bytes
        self.model = model
        self.model_version = model_version
        self._closed = False
        self._reset_process_state()
        _clients.add(self)
        if len(self._spool):  # batches left by an earlier process: deliver them now
            self._ensure_worker()

    def _reset_process_state(self) -> None:
        """Fresh queues, locks, counters and spool view (at start and in a forked child)."""
        self._events: deque[dict[str, Any]] = deque()
        self._labels: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._flush_cond = threading.Condition(self._lock)
        self._flush_requested = 0
        self._flush_done = 0
        self._stopping = False
        self._worker: Worker | None = None
        self._taken = 0
        self._counts = {"exported": 0, "spooled": 0, "redelivered": 0}
        self._dropped: dict[str, int] = {}
        self._dropped_at_flush: dict[str, int] = {}  # ``_dropped`` when the last flush ended
        self._last_flush_dropped: dict[str, int] = {}
        self._front_dropped = 0
        self._spool: Spool = (
            DiskSpool(self.spool_dir, self.max_spool_bytes)
            if self.spool_dir is not None
            else MemorySpool(self.max_queue_size)
        )

    # -- the hot path ---------------------------------------------------------------------
    def log_prediction(
        self,
        features: Mapping[str, Any],
        prediction: Any = None,
        *,
        model: str | None = None,
        event_id: str | None = None,
        timestamp: float | None = None,
        model_version: str | None = None,
        tags: Mapping[str, Any] | None = None,
        latency_ms: float | None = None,
    ) -> str:
        """Queue one prediction event; returns its event id (for ``log_label``)."""
        if event_id is None:
            event_id = f"{_ids.prefix}{next(_ids.counter):x}"
        try:
            events = self._events
            if len(events) >= self.max_queue_size or self._closed:
                self._drop("shutdown" if self._closed else "queue_full")
                return event_id
            event = {
                "model": model or self.model,
                "event_id": event_id,
                "timestamp": time.time() if timestamp is None else timestamp,
                "model_version": self.model_version if model_version is None else model_version,
                "features": dict(features),
            }
            if prediction is not None:
                event["prediction"] = prediction
            if tags:
                event["tags"] = dict(tags)
            if latency_ms is not None:
                event["latency_ms"] = latency_ms
            events.append(event)
            if len(events) >= self.max_batch_size and not self._wake.is_set():
                self._wake.set()
            if self._worker is None:
                self._ensure_worker()
        except Exception:
            self._drop("invalid_event")
        return event_id

    def log_label(
        self, event_id: str, label: Any, *, model: str | None = None, timestamp: float | None = None
    ) -> None:
        """Queue the natural label of an earlier event."""
        try:
            labels = self._labels
            if len(labels) >= self.max_queue_size or self._closed:
                self._drop("shutdown" if self._closed else "queue_full")
                return
            labels.append(
                {
                    "model": model or self.model,
                    "event_id": event_id,
                    "label": label,
                    "timestamp": time.time() if timestamp is None else timestamp,
                }
            )
            if len(labels) >= self.max_batch_size and not self._wake.is_set():
                self._wake.set()
            if self._worker is None:
                self._ensure_worker()
        except Exception:
            self._drop("invalid_event")

    # -- control --------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None and not self._closed:
                self._worker = Worker(_Host(self))
                self._worker.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Export what was logged before the call (and retry the spool now).

        True when nothing is left queued or spooled and nothing was dropped since the
        previous ``flush``: every item logged in between was delivered. When False,
        ``stats.last_flush_dropped`` says what was dropped, by reason (``stats.dropped``
        keeps the totals).
        """
        pending = bool(self._events or self._labels or len(self._spool))
        if self._closed or (not pending and self._worker is None):
            return not self._settle_drops() and not pending
        self._ensure_worker()
        with self._flush_cond:
            self._flush_requested += 1
            wanted = self._flush_requested
            self._wake.set()
            done = self._flush_cond.wait_for(lambda: self._flush_done >= wanted, timeout)
        dropped = self._settle_drops()
        return done and not dropped and not (self._events or self._labels or len(self._spool))

    def _settle_drops(self) -> dict[str, int]:
        """The drops since the previous flush, now the last flush's."""
        with self._lock:
            since = _subtract(self._dropped, self._dropped_at_flush)
            self._dropped_at_flush = dict(self._dropped)
            self._last_flush_dropped = since
            return since

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush, report the drops no batch carried yet, stop the worker and close the
        exporter, all within ``timeout`` seconds (False when that was not enough or items are
        left in the spool). Idempotent."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            worker = self._worker
        self._stopping = True
        self._wake.set()
        if worker is not None:
            worker.join(timeout)
            if worker.is_alive():
                return False
        with contextlib.suppress(Exception):  # closing is best effort
            self.exporter.close()
        return not (self._events or self._labels or len(self._spool))

    # -- counters -------------------------------------------------------------------------
    def _drop(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self._dropped[reason] = self._dropped.get(reason, 0) + n
            self._front_dropped += n

    def _drop_many(self, dropped: Mapping[str, int]) -> None:
        if dropped:
            with self._lock:
                for reason, n in dropped.items():
                    self._dropped[reason] = self._dropped.get(reason, 0) + n

    def _add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                self._counts[name] += n

    def _dropped_snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._dropped)

    @property
    def stats(self) -> ClientStats:
        queued = len(self._events) + len(self._labels)
        with self._lock:
            return ClientStats(
                logged=self._taken + queued + self._front_dropped,
                queued=queued,
                dropped=dict(self._dropped),
                last_flush_dropped=dict(self._last_flush_dropped),
                dropped_since_flush=_subtract(self._dropped, self._dropped_at_flush),
                **self._counts,
            )

    def _after_fork_in_child(self) -> None:
        self._reset_process_state()
        after_fork = getattr(self.exporter, "after_fork", None)
        if callable(after_fork):
            after_fork()

    def __repr__(self) -> str:
        return f"Client({self.exporter!r}, model={self.model!r})"


class _Host:
    """The ``WorkerHost`` of a ``Client``: the few operations its worker thread may use."""

    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def exporter(self) -> Exporter:
        return self._client.exporter

    @property
    def spool(self) -> Spool:
        return self._client._spool

    @property
    def wake(self) -> threading.Event:
        return self._client._wake

    @property
    def max_batch_size(self) -> int:
        return self._client.max_batch_size

    @property
    def max_in_flight(self) -> int:
        return self._client.max_in_flight

    @property
    def flush_interval_s(self) -> float:
        return self._client.flush_interval_s

    @property
    def max_probe_interval_s(self) -> float:
        return self._client.max_probe_interval_s

    def queued(self) -> tuple[int, int]:
        return len(self._client._events), len(self._client._labels)

    def take_batch(self, size: int) -> Batch:
        c = self._client
        events, labels = take(c._events, size), take(c._labels, size)
        c._taken += len(events) + len(labels)
        return events, labels

    def stopping(self) -> bool:
        return self._client._stopping

    def flush_wanted(self) -> int:
        c = self._client
        requested = c._flush_requested
        return requested if requested > c._flush_done else 0

    def flush_answered(self, request: int) -> None:
        c = self._client
        with c._flush_cond:
            c._flush_done = max(c._flush_done, request)
            c._flush_cond.notify_all()

    def count(self, **counts: int) -> None:
        self._client._add(**counts)

    def drop(self, dropped: Mapping[str, int]) -> None:
        self._client._drop_many(dropped)

    def dropped_so_far(self) -> dict[str, int]:
        return self._client._dropped_snapshot()


class NoopClient:
    """The client used when nothing is configured: same API, does nothing, costs nothing."""

    stats = ClientStats()

    def log_prediction(
        self,
        features: Mapping[str, Any],
        prediction: Any = None,
        *,
        model: str | None = None,
        event_id: str | None = None,
        timestamp: float | None = None,
        model_version: str | None = None,
        tags: Mapping[str, Any] | None = None,
        latency_ms: float | None = None,
    ) -> str:
        return event_id if event_id is not None else f"{_ids.prefix}{next(_ids.counter):x}"

    def log_label(
        self, event_id: str, label: Any, *, model: str | None = None, timestamp: float | None = None
    ) -> None:
        return None

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        return True


def _subtract(counts: Mapping[str, int], earlier: Mapping[str, int]) -> dict[str, int]:
    """The counts that grew since ``earlier``, by how much."""
    return {k: n - earlier.get(k, 0) for k, n in counts.items() if n > earlier.get(k, 0)}


def _after_fork_in_child() -> None:
    _ids.reset()
    for client in list(_clients):
        client._after_fork_in_child()


def _shutdown_all() -> None:
    for client in list(_clients):
        client.shutdown(timeout=5.0)


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_shutdown_all)

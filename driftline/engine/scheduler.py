"""The scheduler: evaluates each monitor's windows as they complete, safely from several
workers at once.

State lives in the store: on start the scheduler asks which window a monitor last stored and
carries on from there, so a restart neither skips nor repeats a window. Each monitor is
worked under a lease (``store.leases``): two workers — threads, processes or machines —
never evaluate the same monitor at the same time, and a killed worker's lease expires after
``lease_s``. Monitors whose kind reads labels have their recent windows (``relabel_horizon_s``)
re-evaluated, as a new revision, whenever labels arrived after the window's last revision.

Isolation: a monitor that fails (an ``error`` record for its window, or any exception outside
one) is skipped for ``backoff_s``, doubling with each consecutive failure up to
``max_backoff_s``, and reset by a success; the other monitors keep their schedule. Its
position never moves past an ``error`` record, so the failed window is retried, not skipped.
A monitor whose model has no events yet stores nothing: it is logged once and shown by the
``driftline_engine_waiting_for_data`` gauge, and starts when the first events arrive.

Where a monitor starts: at its ``start`` (the first window that begins at or after it), else
at the window of the model's first event. A stretch of windows without events (one event
of 2000, then traffic in 2026) is one ``no_data`` record, then the next window with data.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from driftline.engine.kinds import Evaluation
from driftline.engine.monitor import Monitor
from driftline.engine.runner import Engine
from driftline.engine.windows import Span
from driftline.errors import DriftlineError, StoreError
from driftline.observability import EngineMetrics
from driftline.storage import Lease, ResultStatus, Store

__all__ = ["Scheduler", "SchedulerSettings", "worker_id"]

log = logging.getLogger(__name__)


def worker_id() -> str:
    """host:pid:random — unique per scheduler, readable in the leases table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Held:
    """A monitor's lease while its windows are evaluated, renewed every third of its term;
    ``keep()`` is False once another worker holds it (then this one stops)."""

    def __init__(self, scheduler: Scheduler, lease: Lease) -> None:
        self.scheduler = scheduler
        self.lease = lease
        self.renewed = time.monotonic()

    def keep(self) -> bool:
        term = self.scheduler.settings.lease_s
        if time.monotonic() - self.renewed < term / 3:
            return True
        self.renewed = time.monotonic()
        return self.scheduler.store.leases.renew(self.lease, term)


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """``lateness_s``: how long after its end a window is evaluated (late events);
    ``max_windows``: the most windows a monitor evaluates in one run (a backlog is worked off
    over several runs); ``relabel_horizon_s``: how far back windows of label-based monitors
    are re-evaluated as labels arrive; ``lease_s``: how long a monitor's lease lasts without
    renewal (a killed worker's monitors are picked up after that); ``backoff_s``: how long a
    failing monitor is skipped after its first failure, doubled with each further one up to
    ``max_backoff_s``."""

    lateness_s: float = 60.0
    max_windows: int = 500
    relabel_horizon_s: float = 7 * 86400.0
    lease_s: float = 300.0
    backoff_s: float = 30.0
    max_backoff_s: float = 3600.0


class Scheduler:
    def __init__(self, store: Store, monitors: Sequence[Monitor], *,
                 settings: SchedulerSettings | None = None, lateness_s: float | None = None,
                 max_windows: int | None = None, metrics: EngineMetrics | None = None,
                 owner: str | None = None) -> None:
        base = settings or SchedulerSettings()
        self.settings = dataclasses.replace(
            base, lateness_s=base.lateness_s if lateness_s is None else lateness_s,
            max_windows=base.max_windows if max_windows is None else max_windows)
        self.engine = Engine(store)
        self.store = store
        self.monitors = list(monitors)
        self.metrics = metrics
        self.owner = owner or worker_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures: dict[str, int] = {}  # consecutive failures per monitor
        self._retry_at: dict[str, float] = {}  # not tried before this time
        self._waiting: set[str] = set()  # monitors whose model has no events yet

    def backoff(self, monitor_id: str) -> tuple[int, float]:
        """(consecutive failures, the time before which it is not tried) of a monitor;
        ``(0, 0.0)`` for one that works."""
        return self._failures.get(monitor_id, 0), self._retry_at.get(monitor_id, 0.0)

    def run_once(self, now: float | None = None) -> dict[str, list[Evaluation]]:
        """Evaluate every window completed since the last run; returns them per monitor.

        A window is complete when ``lateness_s`` has passed since its end; windows after the
        model's last event are not evaluated beyond the one that holds it, so a model that
        went quiet (or a history loaded from the past) does not yield endless empty windows.
        At most ``max_windows`` windows per monitor are evaluated per run. A monitor held by
        another worker, or backing off after a failure, is skipped (it is absent from the
        returned mapping).
        """
        now = time.time() if now is None else now
        done: dict[str, list[Evaluation]] = {}
        for monitor in self.monitors:
            if self._stop.is_set():
                break
            if now < self._retry_at.get(monitor.id, 0.0):
                continue
            try:
                lease = self.store.leases.acquire(f"monitor:{monitor.id}", self.owner,
                                                  self.settings.lease_s)
            except StoreError as exc:
                log.warning("monitor %s: lease not taken: %s", monitor.id, exc)
                self._failed(monitor)
                continue
            if lease is None:
                continue
            try:
                done[monitor.id] = self._run_monitor(monitor, now, _Held(self, lease))
            finally:
                try:
                    self.store.leases.release(lease)
                except StoreError as exc:  # it expires on its own
                    log.warning("monitor %s: lease not released: %s", monitor.id, exc)
        return done

    def _run_monitor(self, monitor: Monitor, now: float, held: _Held) -> list[Evaluation]:
        out: list[Evaluation] = []
        last: float | None = None
        try:
            bounds = self.store.events.time_bounds(monitor.model)
            self._set_waiting(monitor, bounds is None)
            if bounds is None:
                return out
            last = self.store.results.last_window_end(monitor.id, ignore_errors=True)
            failed = self._scheduled(monitor, now, held, bounds, last, out)
            last = max([e.window.end for e in out if e.status != ResultStatus.ERROR]
                       + ([] if last is None else [last]), default=None)
            if self.engine.kind_of(monitor).uses_labels and last is not None and not failed:
                out += self._relabel(monitor, now, last, self.settings.max_windows - len(out))
            if not any(e.status == ResultStatus.ERROR for e in out):
                self._succeeded(monitor)
        except StoreError as exc:  # the store hiccuped: nothing stored, retried next run
            log.warning("monitor %s: store error, retrying next run: %s", monitor.id, exc)
            self._failed(monitor)
        except Exception:  # outside any window (a bug, a model name the store refuses)
            log.exception("monitor %s failed", monitor.id)
            self._failed(monitor, now)
        if self.metrics is not None and last is not None:
            self.metrics.lag(monitor.id, now - last)
        return out

    def _scheduled(self, monitor: Monitor, now: float, held: _Held,
                   bounds: tuple[float, float], last: float | None,
                   out: list[Evaluation]) -> bool:
        """Evaluate the due windows after ``last`` into ``out``; True when one failed."""
        window = monitor.window
        cursor = bounds[0] if last is None else last
        if monitor.start is not None:
            cursor = max(cursor, monitor.start) if last is not None else monitor.start
        end = min(now - self.settings.lateness_s, bounds[1] + window.size_s)
        while len(out) < self.settings.max_windows and not self._stop.is_set():
            span = next(window.spans(cursor, end), None)
            if span is None:
                return False
            cursor = span.end
            if (monitor.start is not None and span.start < monitor.start
                    and window.kind != "cumulative"):
                continue  # begins before the monitor's start
            if not held.keep():
                return False
            if self.store.events.count(monitor.model, span.start, span.end) == 0:
                gap = self._gap(monitor, span, end)
                if gap is None:
                    return False  # no event after it: nothing more is due
                out.append(self._record_gap(monitor, gap))
                cursor = gap.end
                continue
            evaluation = self._evaluate(monitor, span, now)
            out.append(evaluation)
            if evaluation.status == ResultStatus.ERROR:
                return True  # the window is retried once the backoff has passed
        return False

    def _gap(self, monitor: Monitor, empty: Span, end: float) -> Span | None:
        """The stretch of empty windows from ``empty`` up to the window of the next event
        (or the last complete window before it); None when no event follows."""
        following = self.store.events.read(monitor.model, ["ts"], start=empty.start,
                                           limit=1)["ts"]
        if not len(following):
            return None
        window = monitor.window
        holding = next(window.spans(float(following[0]), math.inf))
        last_complete = window.origin + math.floor((end - window.origin + 1e-9)
                                                   / window.step) * window.step
        return Span(empty.start, max(empty.end, min(holding.end - window.step, last_complete)))

    def _record_gap(self, monitor: Monitor, gap: Span) -> Evaluation:
        evaluation = self.engine.record_gap(monitor, gap)
        if self.metrics is not None:
            self.metrics.evaluated(monitor.id, str(evaluation.status), "scheduled")
        return evaluation

    def _evaluate(self, monitor: Monitor, span: Span, now: float,
                  reason: str = "scheduled") -> Evaluation:
        try:
            evaluation = self.engine.evaluate(monitor, span)
        except StoreError:
            raise
        except DriftlineError as exc:  # the monitor cannot work as configured: say so
            log.warning("monitor %s failed on window %s: %s", monitor.id, span, exc)
            evaluation = self._record_error(monitor, span, exc, now)
        except Exception as exc:  # a bug must not starve the other monitors
            log.exception("monitor %s failed on window %s", monitor.id, span)
            evaluation = self._record_error(monitor, span, exc, now)
        if self.metrics is not None:
            self.metrics.evaluated(monitor.id, str(evaluation.status), reason)
        return evaluation

    def _record_error(self, monitor: Monitor, span: Span, exc: Exception,
                      now: float) -> Evaluation:
        failures, retry_at = self._failed(monitor, now)
        return self.engine.record_error(monitor, span, exc, failures=failures,
                                        retry_at=retry_at)

    def _relabel(self, monitor: Monitor, now: float, last: float, budget: int
                 ) -> list[Evaluation]:
        """Re-evaluate recent windows that received labels after their latest revision."""
        out: list[Evaluation] = []
        revisions = self.store.results.revisions(monitor.id, now - self.settings.relabel_horizon_s,
                                                 last)
        for (start, end), revision in sorted(revisions.items()):
            if len(out) >= budget or self._stop.is_set():
                break
            received = self.store.labels.latest_received_ns(monitor.model, start, end)
            if received is not None and received > revision:
                out.append(self._evaluate(monitor, Span(start, end), now, reason="labels"))
        return out

    def _failed(self, monitor: Monitor, now: float | None = None) -> tuple[int, float]:
        """Count a failure and, given the run's ``now``, back the monitor off (without: the
        store failed, not the monitor, and the next run retries); returns (failures, retry
        at)."""
        if self.metrics is not None:
            self.metrics.failed(monitor.id)
        if now is None:
            return self.backoff(monitor.id)
        failures = self._failures.get(monitor.id, 0) + 1
        delay = min(self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (failures - 1))
        at = now + delay
        self._failures[monitor.id], self._retry_at[monitor.id] = failures, at
        log.warning("monitor %s: failure %d, next try in %.0fs", monitor.id, failures, delay)
        return failures, at

    def _succeeded(self, monitor: Monitor) -> None:
        if self._failures.pop(monitor.id, None) is not None:
            log.warning("monitor %s works again", monitor.id)
        self._retry_at.pop(monitor.id, None)

    def _set_waiting(self, monitor: Monitor, waiting: bool) -> None:
        """A model without events is a state, not an error: said once, shown by a gauge."""
        if waiting and monitor.id not in self._waiting:
            log.warning("monitor %s: model %r has no events yet; it starts with the first",
                        monitor.id, monitor.model)
            self._waiting.add(monitor.id)
        elif not waiting:
            self._waiting.discard(monitor.id)
        if self.metrics is not None:
            self.metrics.waiting_for_data(monitor.id, waiting)

    def run_forever(self, interval_s: float = 30.0) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a store hiccup must not end the loop; log and go on
                log.exception("scheduler run failed; retrying in %.0fs", interval_s)
            self._stop.wait(interval_s)

    def start(self, interval_s: float = 30.0) -> None:
        """Run ``run_forever`` in a daemon thread; ``stop`` ends it."""
        self._thread = threading.Thread(target=self.run_forever, args=(interval_s,),
                                        name="driftline-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

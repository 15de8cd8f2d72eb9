"""The scheduler: evaluates each monitor's windows as they complete, safely from several
workers at once.

State lives in the store: on start the scheduler asks which window a monitor last stored and
carries on from there, so a restart neither skips nor repeats a window. Each monitor is
worked under a lease (``store.leases``): two workers — threads, processes or machines —
never evaluate the same monitor at the same time, and a killed worker's lease expires after
``lease_s``. Monitors whose kind reads labels have their recent windows (``relabel_horizon_s``)
re-evaluated, as a new revision, whenever labels arrived after the window's last revision.
"""

from __future__ import annotations

import logging
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
from driftline.storage import Lease, Store

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
    renewal (a killed worker's monitors are picked up after that)."""

    lateness_s: float = 60.0
    max_windows: int = 500
    relabel_horizon_s: float = 7 * 86400.0
    lease_s: float = 300.0


class Scheduler:
    def __init__(self, store: Store, monitors: Sequence[Monitor], *,
                 settings: SchedulerSettings | None = None, lateness_s: float | None = None,
                 max_windows: int | None = None, metrics: EngineMetrics | None = None,
                 owner: str | None = None) -> None:
        base = settings or SchedulerSettings()
        self.settings = SchedulerSettings(
            lateness_s=base.lateness_s if lateness_s is None else lateness_s,
            max_windows=base.max_windows if max_windows is None else max_windows,
            relabel_horizon_s=base.relabel_horizon_s, lease_s=base.lease_s)
        self.engine = Engine(store)
        self.store = store
        self.monitors = list(monitors)
        self.metrics = metrics
        self.owner = owner or worker_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: float | None = None) -> dict[str, list[Evaluation]]:
        """Evaluate every window completed since the last run; returns them per monitor.

        A window is complete when ``lateness_s`` has passed since its end; windows after the
        model's last event are not evaluated beyond the one that holds it, so a model that
        went quiet (or a history loaded from the past) does not yield endless empty windows.
        At most ``max_windows`` windows per monitor are evaluated per run. A monitor held by
        another worker is skipped (it is absent from the returned mapping).
        """
        now = time.time() if now is None else now
        done: dict[str, list[Evaluation]] = {}
        for monitor in self.monitors:
            if self._stop.is_set():
                break
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
            last = self.store.results.last_window_end(monitor.id)
            if bounds is not None:
                start = bounds[0] if last is None else last
                end = min(now - self.settings.lateness_s, bounds[1] + monitor.window.size_s)
                for span in monitor.window.spans(start, end):
                    if (self._stop.is_set() or len(out) >= self.settings.max_windows
                            or not held.keep()):
                        break
                    evaluation = self._evaluate(monitor, span)
                    out.append(evaluation)
                    last = span.end
                    if evaluation.status == "error":
                        break  # retried from the next window at the next run
            if self.engine.kind_of(monitor).uses_labels and last is not None:
                out += self._relabel(monitor, now, last, self.settings.max_windows - len(out))
        except StoreError as exc:  # the store hiccuped: nothing stored, retried next run
            log.warning("monitor %s: store error, retrying next run: %s", monitor.id, exc)
            self._failed(monitor)
        if self.metrics is not None and last is not None:
            self.metrics.lag(monitor.id, now - last)
        return out

    def _evaluate(self, monitor: Monitor, span: Span, reason: str = "scheduled") -> Evaluation:
        try:
            evaluation = self.engine.evaluate(monitor, span)
        except StoreError:
            raise
        except DriftlineError as exc:  # the monitor cannot work as configured: say so
            log.warning("monitor %s failed on window %s: %s", monitor.id, span, exc)
            evaluation = self.engine.record_error(monitor, span, exc)
        except Exception as exc:  # a bug must not starve the other monitors
            log.exception("monitor %s failed on window %s", monitor.id, span)
            evaluation = self.engine.record_error(monitor, span, exc)
        if evaluation.status == "error":
            self._failed(monitor)
        if self.metrics is not None:
            self.metrics.evaluated(monitor.id, str(evaluation.status), reason)
        return evaluation

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
                out.append(self._evaluate(monitor, Span(start, end), reason="labels"))
        return out

    def _failed(self, monitor: Monitor) -> None:
        if self.metrics is not None:
            self.metrics.failed(monitor.id)

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

"""The scheduler: evaluates each monitor's windows as they complete.

State lives in the results table: on start the scheduler asks which window a monitor last
stored and carries on from there, so a restart neither skips nor repeats a window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from driftline.engine.monitor import Monitor
from driftline.engine.runner import Engine, WindowOutcome
from driftline.errors import DriftlineError
from driftline.ingest.store import Store

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, store: Store, monitors: Sequence[Monitor], *,
                 lateness_s: float = 60.0, max_windows: int = 500) -> None:
        """``lateness_s``: how long after a window ends it is evaluated (late events);
        ``max_windows``: the most windows a monitor evaluates in one run (a long backlog is
        worked off over several runs)."""
        self.engine = Engine(store)
        self.store = store
        self.monitors = list(monitors)
        self.lateness_s = lateness_s
        self.max_windows = max_windows
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def last_evaluated(self, monitor: Monitor) -> float | None:
        return self.store.last_window_end(monitor.id)

    def run_once(self, now: float | None = None) -> dict[str, list[WindowOutcome]]:
        """Evaluate every window completed since the last run; returns them per monitor.

        A window is complete when ``lateness_s`` has passed since its end; windows after the
        model's last event are not evaluated beyond the one that holds it, so a model that
        went quiet (or a history loaded from the past) does not yield endless empty windows.
        At most ``max_windows`` windows per monitor are evaluated per run.
        """
        now = time.time() if now is None else now
        done: dict[str, list[WindowOutcome]] = {}
        for monitor in self.monitors:
            bounds = self.store.time_bounds(monitor.model)
            if bounds is None:
                continue
            start = self.last_evaluated(monitor)
            start = bounds[0] if start is None else start
            end = min(now - self.lateness_s, bounds[1] + monitor.window.size_s)
            outcomes = done.setdefault(monitor.id, [])
            try:
                for span in monitor.window.spans(start, end):
                    if self._stop.is_set() or len(outcomes) >= self.max_windows:
                        break
                    outcomes.append((span, self.engine.evaluate(monitor, span)))
            except DriftlineError as exc:
                log.warning("monitor %s failed: %s", monitor.id, exc)
            except Exception:  # one broken monitor must not starve the others
                log.exception("monitor %s failed", monitor.id)
        return done

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

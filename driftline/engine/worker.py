"""``driftline worker``: the scheduler in a process of its own.

Against a ClickHouse server, run as many workers as you like beside the API replicas (set
``DRIFTLINE_INPROCESS_WORKER=false`` on those): leases keep two workers off the same monitor.
The embedded store belongs to one process, so with it ``driftline serve`` runs the scheduler
in-process instead (a worker on the same data directory would find it locked).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from driftline.engine.config import load_monitors
from driftline.engine.scheduler import Scheduler, SchedulerSettings
from driftline.errors import ConfigurationError
from driftline.observability import EngineMetrics
from driftline.settings import Settings, open_store
from driftline.storage import Store

__all__ = ["run_worker", "scheduler_for", "scheduler_settings"]

log = logging.getLogger(__name__)


def scheduler_settings(settings: Settings) -> SchedulerSettings:
    return SchedulerSettings(lateness_s=settings.lateness_s,
                             max_windows=settings.backlog_windows,
                             relabel_horizon_s=settings.relabel_horizon_s,
                             lease_s=settings.lease_s, backoff_s=settings.backoff_s,
                             max_backoff_s=settings.max_backoff_s)


def scheduler_for(settings: Settings, store: Store, metrics: EngineMetrics | None = None
                  ) -> Scheduler:
    """A scheduler of the monitors file ``settings.monitors`` on ``store``."""
    if settings.monitors is None:
        raise ConfigurationError("no monitors file: set DRIFTLINE_MONITORS (or --monitors)")
    return Scheduler(store, load_monitors(settings.monitors),
                     settings=scheduler_settings(settings), metrics=metrics)


def run_worker(settings: Settings, *, once: bool = False, metrics_port: int | None = None,
               stop: threading.Event | None = None) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or one pass with ``once``); returns the
    number of windows evaluated."""
    metrics = EngineMetrics()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.host, registry=metrics.registry)
    with open_store(settings) as store:
        scheduler = scheduler_for(settings, store, metrics)
        log.warning("driftline worker %s: %d monitors, every %.0fs", scheduler.owner,
                    len(scheduler.monitors), settings.schedule_s)
        if once:
            return sum(len(v) for v in scheduler.run_once().values())
        stopped = stop or threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stopped.set()
            scheduler.stop(0)

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        evaluated = 0
        try:
            while not stopped.is_set():
                try:
                    evaluated += sum(len(v) for v in scheduler.run_once().values())
                except Exception:  # a store hiccup must not end the worker
                    log.exception("scheduler run failed; retrying in %.0fs",
                                  settings.schedule_s)
                stopped.wait(settings.schedule_s)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return evaluated

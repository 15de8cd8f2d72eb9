from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict

from driftline.engine import (
    Monitor,
    ReferenceSpec,
    Scheduler,
    SchedulerSettings,
    Span,
    WindowSpec,
)
from driftline.engine.kinds import Evaluation, EvaluationContext, MonitorKind, register_kind
from driftline.engine.kinds._base import record
from driftline.ingest.writer import Ingestor
from driftline.observability import (
    ENGINE_FAILURES_TOTAL,
    ENGINE_LAG_SECONDS,
    ENGINE_WAITING_FOR_DATA,
    ENGINE_WINDOWS_EVALUATED_TOTAL,
    EngineMetrics,
)
from driftline.storage import ResultStatus, Store
from tests.engine.conftest import HOUR, T0, hourly_monitor, load_hours


def test_scheduler_carries_on_where_it_stopped(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=4, shift_from=99)
    monitor = hourly_monitor()
    first = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now=T0 + 3 * HOUR)
    assert [e.window.end for e in first["mon"]] == [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    again = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now=T0 + 4 * HOUR)
    assert [e.window.start for e in again["mon"]] == [T0 + 3 * HOUR]


def test_scheduler_stops_at_the_data_and_bounds_each_run(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=4, shift_from=99)
    monitor = hourly_monitor()
    years_later = T0 + 3 * 365 * 24 * HOUR
    done = Scheduler(chdb_store, [monitor], lateness_s=0, max_windows=2).run_once(years_later)
    assert [e.window.end for e in done["mon"]] == [T0 + HOUR, T0 + 2 * HOUR]
    rest = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(years_later)
    # the window holding the last event ends at T0 + 4h; nothing after it is evaluated
    assert [e.window.end for e in rest["mon"]] == [T0 + 3 * HOUR, T0 + 4 * HOUR]


def test_a_broken_monitor_records_an_error_and_does_not_starve_the_others(
        chdb_store: Store) -> None:
    load_hours(chdb_store, hours=3, shift_from=99)
    broken = hourly_monitor(id="broken", features=("nope",))
    good = hourly_monitor(id="good")
    registry = CollectorRegistry()
    done = Scheduler(chdb_store, [broken, good], lateness_s=0,
                     metrics=EngineMetrics(registry)).run_once(T0 + 3 * HOUR)
    assert [e.status for e in done["broken"]] == [ResultStatus.ERROR]  # stops at its error
    assert len(done["good"]) == 3
    [row] = chdb_store.results.read("m", "broken")
    assert row.status == "error" and "nope" in row.details["error"]
    assert registry.get_sample_value(ENGINE_FAILURES_TOTAL, {"monitor": "broken"}) == 1
    assert registry.get_sample_value(
        ENGINE_WINDOWS_EVALUATED_TOTAL,
        {"monitor": "good", "status": "ok", "reason": "scheduled"}) == 3
    assert registry.get_sample_value(ENGINE_LAG_SECONDS, {"monitor": "good"}) == 0.0


def test_a_model_without_events_is_skipped(chdb_store: Store) -> None:
    done = Scheduler(chdb_store, [hourly_monitor(model="ghost")], lateness_s=0).run_once(T0)
    assert done == {"mon": []}


def test_two_workers_never_evaluate_the_same_window(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=6, shift_from=99, n_per_hour=60)
    monitors = [hourly_monitor(id=f"m{i}") for i in range(3)]
    settings = SchedulerSettings(lateness_s=0, lease_s=60)
    workers = [Scheduler(chdb_store, monitors, settings=settings, owner=f"w{i}")
               for i in range(2)]
    barrier = threading.Barrier(2)

    def work(scheduler: Scheduler) -> None:
        barrier.wait()
        for _ in range(3):
            scheduler.run_once(T0 + 6 * HOUR)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    history = chdb_store.results.read("m", all_revisions=True)
    per_window = Counter((r.monitor_id, r.window_start) for r in history if r.subject == "*")
    assert set(per_window.values()) == {1}  # one revision each: nobody evaluated twice
    assert len(per_window) == 3 * 6


def test_a_dead_workers_lease_expires(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99, n_per_hour=60)
    monitor = hourly_monitor()
    dead = chdb_store.leases.acquire("monitor:mon", "dead-worker", 1.0)
    assert dead is not None
    scheduler = Scheduler(chdb_store, [monitor], lateness_s=0, owner="alive")
    assert "mon" not in scheduler.run_once(T0 + 2 * HOUR)  # held by the dead worker
    import time

    time.sleep(1.2)
    assert len(scheduler.run_once(T0 + 2 * HOUR)["mon"]) == 2


class _LabelCountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


@register_kind("test_label_count")
class _LabelCount(MonitorKind):
    """A label-based kind for the test: the number of labelled events in the window."""

    settings_model: ClassVar[type[BaseModel]] = _LabelCountSettings
    uses_labels: ClassVar[bool] = True

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        joined = ctx.store.labels.read_labeled(monitor.model, window.start, window.end)
        n = len(joined["event_id"])
        row = record(monitor, self.name, window, None, "*", "labelled", float(n),
                     ResultStatus.OK, n_window=n)
        return Evaluation(monitor.id, window, ResultStatus.OK, (row,), n)


def test_windows_are_re_evaluated_as_labels_arrive_within_the_horizon(
        chdb_store: Store) -> None:
    load_hours(chdb_store, hours=3, shift_from=99, n_per_hour=20)
    monitor = Monitor.create("labels", "m", kind="test_label_count",
                             window=hourly_monitor().window, reference=ReferenceSpec.training())
    settings = SchedulerSettings(lateness_s=0, relabel_horizon_s=1.5 * HOUR)
    now = T0 + 3 * HOUR
    first = Scheduler(chdb_store, [monitor], settings=settings).run_once(now)
    assert [e.outcome for e in first["labels"]] == [0, 0, 0]
    # late labels for hours 0 (outside the horizon) and 1 (inside)
    labels: list[dict[str, Any]] = [{"model": "m", "event_id": f"{h}-{i}", "label": 1.0}
                                    for h in (0, 1) for i in range(5)]
    assert Ingestor(chdb_store).ingest_labels(labels).accepted == 10
    again = Scheduler(chdb_store, [monitor], settings=settings).run_once(now)
    assert [(e.window.start, e.outcome) for e in again["labels"]] == [(T0 + HOUR, 5)]
    assert Scheduler(chdb_store, [monitor], settings=settings).run_once(now) == {"labels": []}
    latest = {r.window_start: r.value for r in chdb_store.results.read("m", "labels")}
    assert latest == {T0: 0.0, T0 + HOUR: 5.0, T0 + 2 * HOUR: 0.0}
    assert np.isfinite(list(latest.values())).all()


# -- isolation (issue 7, finding 2) ------------------------------------------------------------
def test_a_failing_monitor_backs_off_and_its_window_is_retried_not_skipped(
        chdb_store: Store) -> None:
    load_hours(chdb_store, hours=4, shift_from=99, n_per_hour=60)
    broken = hourly_monitor(id="broken", features=("nope",))
    good = hourly_monitor(id="good")
    registry = CollectorRegistry()
    settings = SchedulerSettings(lateness_s=0, backoff_s=2 * HOUR, max_backoff_s=5 * HOUR)
    scheduler = Scheduler(chdb_store, [broken, good], settings=settings,
                          metrics=EngineMetrics(registry))
    now = T0 + 2 * HOUR
    first = scheduler.run_once(now)
    assert [e.status for e in first["broken"]] == [ResultStatus.ERROR]
    assert len(first["good"]) == 2
    # within its backoff the broken monitor is skipped; the good one keeps its schedule
    later = scheduler.run_once(now + HOUR)
    assert "broken" not in later and [e.window.start for e in later["good"]] == [T0 + 2 * HOUR]
    assert scheduler.backoff("broken") == (1, now + 2 * HOUR)
    # after it, the same window is tried again (never skipped); the delay doubles, capped
    retried = scheduler.run_once(now + 2 * HOUR)
    assert [(e.window.start, e.status) for e in retried["broken"]] == [(T0, ResultStatus.ERROR)]
    assert scheduler.backoff("broken") == (2, now + 6 * HOUR)
    scheduler.run_once(now + 6 * HOUR)
    assert scheduler.backoff("broken") == (3, now + 11 * HOUR)
    errors = chdb_store.results.read("m", "broken", status="error")
    assert [r.window_start for r in errors] == [T0]  # one window, its latest revision
    assert "nope" in errors[0].details["error"] and errors[0].details["failures"] == 3
    assert registry.get_sample_value(ENGINE_FAILURES_TOTAL, {"monitor": "broken"}) == 3
    # fixed (same id): it starts at the errored window, and the backoff is reset
    fixed = Scheduler(chdb_store, [hourly_monitor(id="broken")], settings=settings)
    done = fixed.run_once(now + 3 * HOUR)
    assert [e.window.start for e in done["broken"]] == [T0 + h * HOUR for h in range(4)]
    assert fixed.backoff("broken") == (0, 0.0)
    assert chdb_store.results.read("m", "broken", status="error") == []


def test_a_monitor_that_raises_outside_a_window_does_not_stop_the_others(
        chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99, n_per_hour=60)
    # a name the store refuses (the monitors file refuses it too: see test_config)
    bad = hourly_monitor(id="bad", model="no such model")
    registry = CollectorRegistry()
    scheduler = Scheduler(chdb_store, [bad, hourly_monitor(id="good")], lateness_s=0,
                          metrics=EngineMetrics(registry))
    done = scheduler.run_once(T0 + 2 * HOUR)
    assert done["bad"] == [] and len(done["good"]) == 2
    assert registry.get_sample_value(ENGINE_FAILURES_TOTAL, {"monitor": "bad"}) == 1
    assert scheduler.backoff("bad")[0] == 1


def test_a_model_that_does_not_exist_yet_waits_without_rows_then_starts(
        chdb_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    scheduler = Scheduler(chdb_store, [hourly_monitor()], lateness_s=0,
                          metrics=EngineMetrics(registry))
    with caplog.at_level(logging.INFO, logger="driftline.engine.scheduler"):
        for i in range(3):
            assert scheduler.run_once(T0 + i * HOUR) == {"mon": []}
    assert sum("has no events yet" in m for m in caplog.messages) == 1  # said once
    assert registry.get_sample_value(ENGINE_WAITING_FOR_DATA, {"monitor": "mon"}) == 1
    assert chdb_store.results.read(monitor_id="mon") == []
    assert registry.get_sample_value(ENGINE_FAILURES_TOTAL, {"monitor": "mon"}) is None
    load_hours(chdb_store, hours=2, shift_from=99, n_per_hour=60)
    done = scheduler.run_once(T0 + 2 * HOUR)
    assert [e.window.start for e in done["mon"]] == [T0, T0 + HOUR]
    assert registry.get_sample_value(ENGINE_WAITING_FOR_DATA, {"monitor": "mon"}) == 0


# -- time bounds (issue 7, finding 3) ------------------------------------------------------------
def test_one_old_event_does_not_flood_the_scheduler(chdb_store: Store) -> None:
    """The finding: an event dated 2000-01-02, then live data; a 1h monitor."""
    old = 946_771_200.0  # 2000-01-02T00:00:00Z
    now = 1_764_633_600.0  # 2025-12-02T00:00:00Z
    live = now - 3 * HOUR
    rng = np.random.default_rng(0)
    events: list[dict[str, Any]] = [{"model": "m", "event_id": "old", "timestamp": old + 60,
                                     "features": {"x": 0.0}}]
    events += [{"model": "m", "event_id": f"e{i}", "timestamp": live + i * 36.0,
                "features": {"x": float(rng.normal())}} for i in range(300)]
    assert Ingestor(chdb_store).ingest_events(events).accepted == 301
    monitor = Monitor.drift("mon", "m", "ks", WindowSpec.tumbling(HOUR),
                            ReferenceSpec.trailing(HOUR))
    done = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now)
    windows = [(e.window.start, e.window.end, e.status) for e in done["mon"]]
    assert windows == [
        (old, old + HOUR, ResultStatus.REFERENCE_UNAVAILABLE),  # the old event's window
        (old + HOUR, live, ResultStatus.NO_DATA),            # the whole gap: one record
        (live, live + HOUR, ResultStatus.REFERENCE_UNAVAILABLE),
        (live + HOUR, live + 2 * HOUR, ResultStatus.OK),
        (live + 2 * HOUR, live + 3 * HOUR, ResultStatus.OK)]
    assert len(chdb_store.results.read(monitor_id="mon")) < 10
    assert Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now + 60) == {"mon": []}


def test_a_monitor_starts_at_its_configured_start(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=4, shift_from=99, n_per_hour=60)
    late = hourly_monitor(start=T0 + 2 * HOUR)
    done = Scheduler(chdb_store, [late], lateness_s=0).run_once(T0 + 4 * HOUR)
    assert [e.window.start for e in done["mon"]] == [T0 + 2 * HOUR, T0 + 3 * HOUR]
    # a start between window boundaries: the first window is the first that begins after it
    mid = hourly_monitor(id="mid", start=T0 + 1.5 * HOUR)
    done = Scheduler(chdb_store, [mid], lateness_s=0).run_once(T0 + 4 * HOUR)
    assert [e.window.start for e in done["mid"]] == [T0 + 2 * HOUR, T0 + 3 * HOUR]


def test_a_gap_in_live_traffic_is_one_no_data_record(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99, n_per_hour=60)
    monitor = hourly_monitor()
    scheduler = Scheduler(chdb_store, [monitor], lateness_s=0)
    assert len(scheduler.run_once(T0 + 2 * HOUR)["mon"]) == 2
    for hours in (3, 4, 5):  # the model is quiet: nothing is written
        assert scheduler.run_once(T0 + hours * HOUR) == {"mon": []}
    rng = np.random.default_rng(1)
    events = [{"model": "m", "event_id": f"late-{i}", "timestamp": T0 + 6 * HOUR + i,
               "features": {"x": float(rng.normal()), "y": float(rng.normal()), "c": "a"}}
              for i in range(40)]
    assert Ingestor(chdb_store).ingest_events(events).accepted == 40
    done = scheduler.run_once(T0 + 7 * HOUR)
    assert [(e.window.start, e.window.end, e.status) for e in done["mon"]] == [
        (T0 + 2 * HOUR, T0 + 6 * HOUR, ResultStatus.NO_DATA),
        (T0 + 6 * HOUR, T0 + 7 * HOUR, ResultStatus.OK)]

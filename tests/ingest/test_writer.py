"""The one write path (``Ingestor``) against a real embedded store."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from driftline.errors import ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.writer import Ingestor
from driftline.storage import Store
from tests.storage.recording_backend import recording_store

T0 = 1_700_000_000.0


def test_rows_columns_and_frames_land_in_one_schema(chdb_store: Store) -> None:
    ingestor = Ingestor(chdb_store)
    rows = ingestor.ingest_events([
        {"model": "m", "event_id": "r1", "timestamp": T0, "features": {"x": 1.0, "flag": True}},
        {"model": "m\n", "event_id": "r2", "timestamp": T0, "features": {"x": 2.0}},
    ])
    assert rows.accepted == 1 and [r.field for r in rows.rejected] == ["model"]
    assert len(rows.schema_changes) == 1
    columns = ingestor.ingest_columns("m", {"event_id": ["c1", "c2"], "timestamp": [T0, T0],
                                            "features": {"x": [3.0, None], "flag": [False, True]}})
    assert columns.accepted == 2 and not columns.rejected and not columns.schema_changes
    frame = ingestor.ingest_frame("m", pd.DataFrame({
        "event_id": ["f1"], "timestamp": [T0], "x": [4.0], "flag": [True]}))
    assert frame.accepted == 1 and not frame.schema_changes
    assert chdb_store.events.known_kinds("m") == {"x": FeatureKind.NUMERIC,
                                                  "flag": FeatureKind.NUMERIC}
    assert chdb_store.events.count("m") == 4


def test_a_bad_model_name_for_a_columnar_batch_is_a_validation_error(chdb_store: Store) -> None:
    with pytest.raises(ValidationError) as info:
        Ingestor(chdb_store).ingest_columns("m\n", {"timestamp": [T0]})
    assert info.value.field == "model"


def test_labels_are_stored_and_bad_ones_rejected(chdb_store: Store) -> None:
    report = Ingestor(chdb_store).ingest_labels([
        {"model": "m", "event_id": "a", "label": 1, "timestamp": T0},
        {"model": "m", "event_id": "b", "label": None, "timestamp": T0},
    ])
    assert report.accepted == 1 and [r.field for r in report.rejected] == ["label"]
    assert report.as_dict()["rejected"][0]["index"] == 1


def test_time_bounds_reject_old_and_future_events_one_by_one(chdb_store: Store) -> None:
    """Issue 7, finding 3: an event of 2000 was accepted and flooded the scheduler."""
    import time

    from driftline.ingest.validation import TimeBounds

    now = time.time()
    bounds = TimeBounds(retention_s=400 * 86400.0, clock_skew_s=3600.0)
    ingestor = Ingestor(chdb_store, time_bounds=bounds)
    rows = ingestor.ingest_events([
        {"model": "m", "event_id": "old", "timestamp": 946_771_200, "features": {"x": 1.0}},
        {"model": "m", "event_id": "ok", "timestamp": now - 60, "features": {"x": 2.0}},
        {"model": "m", "event_id": "future", "timestamp": now + 7200, "features": {"x": 3.0}},
        {"model": "m", "event_id": "now", "features": {"x": 4.0}},
    ])
    assert rows.accepted == 2
    assert [(r.index, r.field, r.event_id) for r in rows.rejected] == [
        (0, "timestamp", "old"), (2, "timestamp", "future")]
    assert "older than the retention horizon of 400 days" in rows.rejected[0].reason
    assert "more than 3600 s in the future" in rows.rejected[1].reason
    columns = ingestor.ingest_columns("m", {"event_id": ["c0", "c1", "c2"],
                                            "timestamp": [now, 946_771_200.0, now + 1e5],
                                            "features": {"x": [1.0, 2.0, 3.0]}})
    assert columns.accepted == 1
    assert [(r.index, r.field) for r in columns.rejected] == [(1, "timestamp"),
                                                              (2, "timestamp")]
    stored = chdb_store.events.read("m", ["event_id"])["event_id"]
    assert sorted(stored) == ["c0", "now", "ok"]
    # library use (bulk loads of history, the demo's replay of 2013): no relative bounds
    assert Ingestor(chdb_store).ingest_events([
        {"model": "m", "event_id": "h", "timestamp": 946_771_200, "features": {"x": 1.0}},
    ]).accepted == 1


def test_time_bounds_come_from_the_settings() -> None:
    from driftline.ingest.validation import TimeBounds
    from driftline.settings import Settings

    default = Settings(_env_file=None).time_bounds
    assert default == TimeBounds(retention_s=400 * 86400.0, clock_skew_s=3600.0)
    assert Settings(_env_file=None, retention_s=0, clock_skew_s=0).time_bounds is None
    assert Settings(_env_file=None, retention_s=0).time_bounds == TimeBounds(None, 3600.0)


def test_a_schema_change_of_one_model_does_not_hold_up_another_models_ingest(
        chdb_store: Store) -> None:
    """Finding 5 of issue 7: 500 new columns of one model stalled another's ingest for 10 s.

    Model a's ALTER is held back until model b has stored three batches (one of them adding
    a feature of b's own); with one lock for all models b waits behind a, the hold runs out
    and the order below comes out differently."""
    recorded, backend = recording_store(chdb_store)
    ingestor = Ingestor(recorded)
    for model in ("a", "b"):
        ingestor.ingest_events([{"model": model, "event_id": "first", "timestamp": T0,
                                 "features": {"x": 1.0}}])
    a_altering, b_done = threading.Event(), threading.Event()
    order: list[str] = []

    def hold_a(sql: str) -> None:
        if "`events_a`" in sql and sql.startswith("ALTER TABLE") and not a_altering.is_set():
            order.append("a: alter starts")
            a_altering.set()
            b_done.wait(timeout=20)  # a safety valve, not a time limit on b
            order.append("a: alter runs")

    def add_500_columns() -> None:
        report = ingestor.ingest_columns("a", {
            "event_id": ["wide"], "timestamp": [T0 + 1],
            "features": {f"c{i}": [float(i)] for i in range(500)}})
        order.append(f"a: stored {report.accepted}")

    def ingest_b() -> None:
        a_altering.wait(timeout=20)
        for i in range(1, 4):
            features = {"x": float(i), **({"z": 2.0} if i == 2 else {})}
            report = ingestor.ingest_events([{"model": "b", "event_id": f"b{i}",
                                              "timestamp": T0 + i, "features": features}])
            order.append(f"b: stored {report.accepted}")
        b_done.set()

    backend.before_execute = hold_a
    threads = [threading.Thread(target=add_500_columns), threading.Thread(target=ingest_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert order == ["a: alter starts", "b: stored 1", "b: stored 1", "b: stored 1",
                     "a: alter runs", "a: stored 1"]
    assert chdb_store.events.count("a") == 2 and chdb_store.events.count("b") == 4
    assert set(chdb_store.events.known_kinds("b")) == {"x", "z"}

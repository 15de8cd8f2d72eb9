"""The Store contract, run against embedded chDB and the ClickHouse server."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.ingest.events import FeatureKind, validate_events, validate_labels
from driftline.ingest.store import ResultRow, Store
from driftline.ingest.writer import Ingestor

T0 = 1_700_000_000


def _events(n: int, model: str = "m1", start: int = 0) -> list[dict[str, object]]:
    return [
        {"model": model, "event_id": f"e{i}", "timestamp": T0 + i,
         "features": {"x": float(i), "color": ["red", "blue", None][i % 3]},
         "prediction": {"yes": 0.25, "no": 0.75}, "model_version": "v1"}
        for i in range(start, start + n)
    ]


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    store.migrate()
    tables = store._select(f"SELECT name FROM system.tables WHERE database = '{store.database}'")
    assert sorted(tables["name"]) == ["feature_schemas", "labels", "models", "results"]


def test_events_round_trip_and_redelivery_is_not_double_counted(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events(_events(300))
    assert report.accepted == 300
    assert ingestor.ingest_events(_events(300)).accepted == 300  # a retried batch
    assert store.count_events("m1") == 300
    cols = store.read_events("m1", ["ts", "x", "color", "prediction", "prediction_label"])
    assert cols["ts"][0] == T0
    np.testing.assert_array_equal(cols["x"], np.arange(300, dtype=float))
    assert list(cols["color"][:3]) == ["red", "blue", None]
    assert cols["prediction"][0] == 0.75 and cols["prediction_label"][0] == "no"
    assert store.time_bounds("m1") == (T0, T0 + 299)


def test_window_bounds_are_half_open(store: Store) -> None:
    Ingestor(store).ingest_events(_events(100))
    assert store.count_events("m1", T0 + 10, T0 + 20) == 10
    assert store.count_events("m1", None, T0 + 1) == 1


def test_deterministic_sample(store: Store) -> None:
    Ingestor(store).ingest_events(_events(500))
    a = store.read_events("m1", ["x"], limit=50, sample_seed=7)["x"]
    b = store.read_events("m1", ["x"], limit=50, sample_seed=7)["x"]
    c = store.read_events("m1", ["x"], limit=50, sample_seed=8)["x"]
    assert len(a) == 50
    np.testing.assert_array_equal(a, b)
    assert set(a) != set(c)


def test_profile_bins_and_categories_are_pushed_down(store: Store) -> None:
    Ingestor(store).ingest_events(_events(300))
    profile = store.numeric_profile("m1", ["x"], T0, T0 + 100)
    assert profile["x"]["count"] == 100 and profile["x"]["nulls"] == 0
    assert profile["x"]["mean"] == pytest.approx(49.5)
    assert profile["x"]["min"] == 0 and profile["x"]["max"] == 99
    # quartiles come from a t-digest: approximate, bounded memory
    assert [profile["x"][q] for q in ("q0.25", "q0.5", "q0.75")] == pytest.approx(
        [24.75, 49.5, 74.25], abs=2.0)
    bins = store.bin_counts("m1", {"x": [10.0, 50.0]}, T0, T0 + 100)
    expected = np.bincount(np.searchsorted([10.0, 50.0], np.arange(100.0), side="right"))
    np.testing.assert_array_equal(bins["x"], expected)
    cats = store.category_counts("m1", ["color"], T0, T0 + 300)
    assert cats == {"color": {"red": 100, "blue": 100, None: 100}}


def test_new_and_missing_features_are_schema_versions(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(10))
    extra = [{"model": "m1", "event_id": "n1", "timestamp": T0 + 50,
              "features": {"x": 1.0, "color": "red", "speed": 3.5}}]
    report = ingestor.ingest_events(extra)
    assert report.accepted == 1
    assert [(s.version, s.added) for s in report.schema_changes] == [(2, ("speed",))]
    report = ingestor.ingest_events([{"model": "m1", "event_id": "n2", "timestamp": T0 + 51,
                                      "features": {"x": 2.0, "color": "blue"}}])
    assert report.schema_changes[0].removed == ("speed",)
    # a feature sent with a missing value is data, not a schema change
    report = ingestor.ingest_events([{"model": "m1", "event_id": "n3", "timestamp": T0 + 52,
                                      "features": {"x": 2.0, "color": None}}])
    assert report.accepted == 1 and report.schema_changes == []
    versions = store.schema_versions("m1")
    assert [v.version for v in versions] == [1, 2, 3]
    assert set(versions[2].features) == {"x", "color"}
    assert versions[1].features["speed"] is FeatureKind.NUMERIC
    speed = store.read_events("m1", ["speed"])["speed"]
    assert np.isnan(speed).sum() == 12 and np.nanmax(speed) == 3.5
    assert store.list_models()[0].schema_version == 3


def test_bad_event_is_rejected_precisely_and_rest_is_stored(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(5))
    batch = _events(5, start=5)
    batch[2]["features"] = {"x": "not-a-number", "color": "red"}
    batch[4]["timestamp"] = "yesterday"
    report = ingestor.ingest_events(batch)
    assert report.accepted == 3
    assert [(r.index, r.field) for r in report.rejected] == [(2, "features.x"), (4, "timestamp")]
    assert "numeric" in report.rejected[0].reason and report.rejected[0].event_id == "e7"
    assert store.count_events("m1") == 8


def test_corrected_label_replaces_the_old_one(store: Store) -> None:
    Ingestor(store).ingest_events(_events(4))
    labels, rejected = validate_labels([
        {"model": "m1", "event_id": "e1", "label": "yes"},
        {"model": "m1", "event_id": "e2", "label": 1},
    ])
    assert not rejected
    store.insert_labels(labels["m1"])
    fixed, _ = validate_labels([{"model": "m1", "event_id": "e1", "label": "no"}])
    store.insert_labels(fixed["m1"])
    joined = store.read_labeled("m1")
    assert list(joined["event_id"]) == ["e1", "e2"]
    assert joined["label_class"][0] == "no" and joined["label"][1] == 1.0


def test_results_round_trip(store: Store) -> None:
    row = ResultRow("mon", "m1", T0, T0 + 60, T0 - 60, T0, "ks", "x", 0.5, 1e-6, 0.05, 0.5,
                    True, "drift", 100, 200, {"note": "x"})
    store.insert_results([row])
    rerun = ResultRow("mon", "m1", T0, T0 + 60, T0 - 60, T0, "ks", "x", 0.1, 0.5, 0.05, 0.1,
                      False, "no_drift", 100, 200)
    store.insert_results([rerun])
    rows = store.read_results("m1", "mon")
    assert len(rows) == 1 and rows[0].status == "no_drift" and rows[0].statistic == 0.1
    assert rows[0].window_start == T0 and rows[0].n_window == 200


def test_unknown_column_is_a_precise_error(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3))
    with pytest.raises(ValidationError, match="no column 'nope'"):
        store.read_events("m1", ["nope"])


def test_validate_events_generates_ids_and_defaults() -> None:
    batches, rejected = validate_events([{"model": "m", "features": {"a": 1}}], now=T0)
    batch = batches["m"]
    assert not rejected and len(batch.event_id[0]) == 32 and batch.ts == [T0]
    assert math.isnan(batch.prediction[0])


def test_prefiltered_sample_picks_the_same_rows(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3000))
    full = store.read_events("m1", ["x"], limit=40, sample_seed=5)["x"]
    fast = store.read_events("m1", ["x"], limit=40, sample_seed=5, total=3000)["x"]
    np.testing.assert_array_equal(full, fast)


def test_reserved_and_look_alike_feature_names(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events([
        {"model": "m1", "event_id": "r", "timestamp": T0, "features": {"prediction": 1.0}},
        {"model": "m1", "event_id": "a", "timestamp": T0, "features": {"a": 1.0, "f_a": 2.0}},
    ])
    assert [(r.index, r.field) for r in report.rejected] == [(0, "features.prediction")]
    assert "none of event_id, ts" in report.rejected[0].reason
    # f_a's column is f_f_a: reading both must not mix them up
    cols = store.read_events("m1", ["f_a", "a"])
    assert (cols["a"][0], cols["f_a"][0]) == (1.0, 2.0)

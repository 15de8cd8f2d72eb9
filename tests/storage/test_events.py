"""store.events, run against embedded chDB and the ClickHouse server."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.writer import Ingestor
from driftline.storage import Store

T0 = 1_700_000_000


def _events(n: int, model: str = "m1", start: int = 0) -> list[dict[str, object]]:
    return [
        {"model": model, "event_id": f"e{i}", "timestamp": T0 + i,
         "features": {"x": float(i), "color": ["red", "blue", None][i % 3]},
         "prediction": {"yes": 0.25, "no": 0.75}, "model_version": "v1"}
        for i in range(start, start + n)
    ]


def test_events_round_trip_and_redelivery_is_not_double_counted(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events(_events(300))
    assert report.accepted == 300
    assert ingestor.ingest_events(_events(300)).accepted == 300  # a retried batch
    assert store.events.count("m1") == 300
    cols = store.events.read("m1", ["ts", "x", "color", "prediction", "prediction_label"])
    assert cols["ts"][0] == T0
    np.testing.assert_array_equal(cols["x"], np.arange(300, dtype=float))
    assert list(cols["color"][:3]) == ["red", "blue", None]
    assert cols["prediction"][0] == 0.75 and cols["prediction_label"][0] == "no"
    assert store.events.time_bounds("m1") == (T0, T0 + 299)


def test_window_bounds_are_half_open(store: Store) -> None:
    Ingestor(store).ingest_events(_events(100))
    assert store.events.count("m1", T0 + 10, T0 + 20) == 10
    assert store.events.count("m1", None, T0 + 1) == 1


def test_unknown_model_counts_nothing(store: Store) -> None:
    assert store.events.count("nobody") == 0
    assert store.events.time_bounds("nobody") is None
    assert store.events.current_schema("nobody") is None and store.events.known_kinds("x") == {}


def test_deterministic_sample(store: Store) -> None:
    Ingestor(store).ingest_events(_events(500))
    a = store.events.read("m1", ["x"], limit=50, sample_seed=7)["x"]
    b = store.events.read("m1", ["x"], limit=50, sample_seed=7)["x"]
    c = store.events.read("m1", ["x"], limit=50, sample_seed=8)["x"]
    assert len(a) == 50
    np.testing.assert_array_equal(a, b)
    assert set(a) != set(c)


def test_prefiltered_sample_picks_the_same_rows(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3000))
    full = store.events.read("m1", ["x"], limit=40, sample_seed=5)["x"]
    fast = store.events.read("m1", ["x"], limit=40, sample_seed=5, total=3000)["x"]
    np.testing.assert_array_equal(full, fast)


def test_newest_first_keeps_the_latest(store: Store) -> None:
    Ingestor(store).ingest_events(_events(10))
    cols = store.events.read("m1", ["ts"], limit=3, newest_first=True)
    assert list(cols["ts"]) == [T0 + 9, T0 + 8, T0 + 7]


def test_profile_bins_and_categories_are_pushed_down(store: Store) -> None:
    Ingestor(store).ingest_events(_events(300))
    profile = store.events.numeric_profile("m1", ["x"], T0, T0 + 100)
    assert profile["x"]["count"] == 100 and profile["x"]["nulls"] == 0
    assert profile["x"]["mean"] == pytest.approx(49.5)
    assert profile["x"]["min"] == 0 and profile["x"]["max"] == 99
    # quartiles come from a t-digest: approximate, bounded memory
    assert [profile["x"][q] for q in ("q0.25", "q0.5", "q0.75")] == pytest.approx(
        [24.75, 49.5, 74.25], abs=2.0)
    bins = store.events.bin_counts("m1", {"x": [10.0, 50.0]}, T0, T0 + 100)
    expected = np.bincount(np.searchsorted([10.0, 50.0], np.arange(100.0), side="right"))
    np.testing.assert_array_equal(bins["x"], expected)
    cats = store.events.category_counts("m1", ["color"], T0, T0 + 300)
    assert cats == {"color": {"red": 100, "blue": 100, None: 100}}
    assert store.events.category_counts("m1", [], T0, T0 + 300) == {}


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
    versions = store.events.schema_versions("m1")
    assert [v.version for v in versions] == [1, 2, 3]
    assert set(versions[2].features) == {"x", "color"}
    assert versions[1].features["speed"] is FeatureKind.NUMERIC
    speed = store.events.read("m1", ["speed"])["speed"]
    assert np.isnan(speed).sum() == 12 and np.nanmax(speed) == 3.5
    assert store.events.list_models()[0].schema_version == 3


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
    assert store.events.count("m1") == 8


def test_unknown_column_is_a_precise_error(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3))
    with pytest.raises(ValidationError, match="no column 'nope'"):
        store.events.read("m1", ["nope"])


def test_reserved_and_look_alike_feature_names(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events([
        {"model": "m1", "event_id": "r", "timestamp": T0, "features": {"prediction": 1.0}},
        {"model": "m1", "event_id": "a", "timestamp": T0, "features": {"a": 1.0, "f_a": 2.0}},
    ])
    assert [(r.index, r.field) for r in report.rejected] == [(0, "features.prediction")]
    assert "none of event_id, ts" in report.rejected[0].reason
    # f_a's column is f_f_a: reading both must not mix them up
    cols = store.events.read("m1", ["f_a", "a"])
    assert (cols["a"][0], cols["f_a"][0]) == (1.0, 2.0)


def test_dropped_model_is_gone_and_can_come_back(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(5) + _events(2, model="other"))
    store.events.drop_model("m1")
    assert [m.name for m in store.events.list_models()] == ["other"]
    assert store.events.count("m1") == 0 and store.events.current_schema("m1") is None
    assert ingestor.ingest_events(_events(3)).accepted == 3
    assert store.events.count("m1") == 3 and store.events.count("other") == 2

"""A pandas DataFrame as a columnar batch (``frame_columns``), and through ``ingest_frame``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.frames import frame_columns
from driftline.ingest.writer import Ingestor
from driftline.storage import Store

T0 = 1_700_000_000


def test_numeric_and_boolean_dtypes_become_float64_with_nan_for_missing() -> None:
    df = pd.DataFrame({
        "ints": np.array([1, 2, 3], dtype=np.int32),
        "floats": [0.5, np.nan, 2.5],
        "flags": [True, False, True],
        "nullable_int": pd.array([1, None, 3], dtype="Int64"),
        "nullable_float": pd.array([None, 1.5, 2.0], dtype="Float64"),
        "nullable_bool": pd.array([True, None, False], dtype="boolean"),
    })
    features = frame_columns(df)["features"]
    assert list(features) == list(df.columns)
    for values in features.values():
        assert isinstance(values, np.ndarray) and values.dtype == np.float64
    np.testing.assert_array_equal(features["ints"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(features["floats"], [0.5, np.nan, 2.5])
    np.testing.assert_array_equal(features["flags"], [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(features["nullable_int"], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(features["nullable_float"], [np.nan, 1.5, 2.0])
    np.testing.assert_array_equal(features["nullable_bool"], [1.0, np.nan, 0.0])


def test_other_dtypes_become_objects_with_none_for_missing() -> None:
    df = pd.DataFrame({
        "objects": ["a", None, np.nan],
        "category": pd.Categorical(["x", None, "y"]),
        "strings": pd.array(["p", "q", None], dtype="string"),
    })
    features = frame_columns(df)["features"]
    for values in features.values():
        assert values.dtype == object
    assert list(features["objects"]) == ["a", None, None]
    assert list(features["category"]) == ["x", None, "y"]
    assert list(features["strings"]) == ["p", "q", None]
    assert df["objects"].iloc[2] is not None  # the frame itself is left as it was


def test_named_columns_are_event_fields_and_the_rest_features() -> None:
    df = pd.DataFrame({
        "event_id": ["a", "b"], "timestamp": [T0, T0 + 1.5], "model_version": ["v1", None],
        "prediction": pd.array([0.25, None], dtype="Float64"), "prediction_label": ["yes", "no"],
        "latency_ms": [3, 4], "x": [1.0, 2.0], 7: ["k", "l"],
    })
    columns = frame_columns(df)
    assert set(columns) == {"event_id", "timestamp", "model_version", "prediction",
                            "prediction_label", "latency_ms", "features"}
    assert list(columns["event_id"]) == ["a", "b"]
    assert columns["timestamp"].dtype == np.float64
    np.testing.assert_array_equal(columns["timestamp"], [T0, T0 + 1.5])
    np.testing.assert_array_equal(columns["prediction"], [0.25, np.nan])
    np.testing.assert_array_equal(columns["latency_ms"], [3.0, 4.0])
    assert list(columns["model_version"]) == ["v1", None]
    assert list(columns["prediction_label"]) == ["yes", "no"]
    assert list(columns["features"]) == ["x", "7"]  # feature names are strings


def test_event_field_names_can_be_renamed_or_switched_off() -> None:
    df = pd.DataFrame({"when": [T0], "timestamp": [5.0], "score": [0.9], "prediction": [1.0]})
    columns = frame_columns(df, timestamp="when", prediction="score", event_id=None)
    np.testing.assert_array_equal(columns["timestamp"], [T0])
    np.testing.assert_array_equal(columns["prediction"], [0.9])
    assert "event_id" not in columns
    assert sorted(columns["features"]) == ["prediction", "timestamp"]
    none = frame_columns(pd.DataFrame({"timestamp": [T0]}), timestamp=None)
    assert "timestamp" not in none and list(none["features"]) == ["timestamp"]


def test_datetime_timestamps_are_utc_datetime64() -> None:
    naive = pd.to_datetime([T0, T0 + 1], unit="s")
    aware = naive.tz_localize("UTC").tz_convert("Europe/Oslo")
    expected = np.array([T0, T0 + 1], dtype="datetime64[s]").astype("datetime64[ns]")
    for stamps in (naive, aware):
        ts = frame_columns(pd.DataFrame({"timestamp": stamps}))["timestamp"]
        assert ts.dtype == np.dtype("datetime64[ns]")
        np.testing.assert_array_equal(ts, expected)


def test_a_frame_round_trips_through_the_store(chdb_store: Store) -> None:
    df = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(4)],
        "timestamp": pd.to_datetime([T0 + i for i in range(4)], unit="s", utc=True),
        "prediction": [0.1, np.nan, 0.3, 0.4],
        "x": np.array([1, 2, 3, 4], dtype=np.int64),
        "k": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": pd.array([True, False, None, True], dtype="boolean"),
        "city": pd.Categorical(["Oslo", "Rome", None, "Oslo"]),
        "note": ["a", None, np.nan, "d"],
    })
    report = Ingestor(chdb_store).ingest_frame("m", df)
    assert (report.accepted, report.rejected) == (4, [])
    assert chdb_store.events.known_kinds("m") == {
        "x": FeatureKind.NUMERIC, "k": FeatureKind.NUMERIC, "flag": FeatureKind.NUMERIC,
        "city": FeatureKind.CATEGORICAL, "note": FeatureKind.CATEGORICAL}
    stored = chdb_store.events.read(
        "m", ["event_id", "ts", "prediction", "x", "k", "flag", "city", "note"])
    assert list(stored["event_id"]) == ["e0", "e1", "e2", "e3"]
    assert list(stored["ts"]) == [T0, T0 + 1, T0 + 2, T0 + 3]
    np.testing.assert_array_equal(stored["prediction"], [0.1, np.nan, 0.3, 0.4])
    np.testing.assert_array_equal(stored["x"], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(stored["k"], [1.0, np.nan, 3.0, 4.0])
    np.testing.assert_array_equal(stored["flag"], [1.0, 0.0, np.nan, 1.0])
    assert list(stored["city"]) == ["Oslo", "Rome", None, "Oslo"]
    assert list(stored["note"]) == ["a", None, None, "d"]


def test_a_bad_feature_name_is_rejected_naming_the_field(chdb_store: Store) -> None:
    df = pd.DataFrame({"event_id": ["a", "b"], "timestamp": [T0, T0],
                       "x": [1.0, 2.0], "not ok": [1.0, np.nan]})
    report = Ingestor(chdb_store).ingest_frame("m", df)
    assert report.accepted == 1  # the row without a value in the bad column is kept
    assert [(r.index, r.field) for r in report.rejected] == [(0, "features.not ok")]
    assert "not ok" in report.rejected[0].reason
    assert "not ok" not in chdb_store.events.known_kinds("m")


def test_a_column_of_the_wrong_kind_is_rejected_naming_the_field(chdb_store: Store) -> None:
    ingestor = Ingestor(chdb_store)
    first = pd.DataFrame({"event_id": ["a"], "timestamp": [T0], "x": [1.0], "c": ["red"]})
    assert ingestor.ingest_frame("m", first).accepted == 1
    swapped = pd.DataFrame({"event_id": ["b", "c"], "timestamp": [T0, T0],
                            "x": ["one", None], "c": [2.0, 3.0]})
    report = ingestor.ingest_frame("m", swapped)
    assert report.accepted == 0
    # one rejection per row, for its first bad field
    assert [(r.index, r.field) for r in report.rejected] == [(0, "features.x"),
                                                             (1, "features.c")]
    assert "as registered" in report.rejected[0].reason
    assert chdb_store.events.known_kinds("m") == {"x": FeatureKind.NUMERIC,
                                                  "c": FeatureKind.CATEGORICAL}
    assert chdb_store.events.count("m") == 1


def test_a_bad_timestamp_or_model_name_names_the_field(chdb_store: Store) -> None:
    ingestor = Ingestor(chdb_store)
    df = pd.DataFrame({"event_id": ["a", "b"], "timestamp": ["2023-11-14T22:13:20Z", "yesterday"],
                       "x": [1.0, 2.0]})
    report = ingestor.ingest_frame("m", df)
    assert report.accepted == 1
    assert [(r.index, r.field) for r in report.rejected] == [(1, "timestamp")]
    assert list(chdb_store.events.read("m", ["ts"])["ts"]) == [T0]
    with pytest.raises(ValidationError) as info:
        ingestor.ingest_frame("no such model!", df)
    assert info.value.field == "model"

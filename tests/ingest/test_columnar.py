"""The columnar ingest path: same rows as the row path, per-row rejections, fast inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ValidationError
from driftline.ingest.columnar import validate_columns
from driftline.ingest.events import FeatureKind
from driftline.ingest.validation import FEATURE_NAME_RULE
from driftline.ingest.writer import Ingestor
from driftline.sdk._columns import group_columns, to_columns
from driftline.storage import Store

T0 = 1_700_000_000
ALL = ["event_id", "ts", "model_version", "prediction", "prediction_label", "prediction_probs",
       "latency_ms", "tags", "x", "n", "color"]


def _events(n: int, model: str) -> list[dict[str, Any]]:
    predictions: list[Any] = [0.25, "late", {"yes": 0.25, "no": 0.75}, None]
    out: list[dict[str, Any]] = []
    for i in range(n):
        event: dict[str, Any] = {
            "model": model, "event_id": f"e{i}", "timestamp": T0 + i + 0.75,
            "model_version": f"v{i % 2}",
            "features": {"x": [float(i), None, i * 0.5][i % 3], "n": i,
                         "color": ["red", "blue", None, "green"][i % 4]},
            "prediction": predictions[i % 4],
        }
        if i % 5 == 0:
            event["tags"] = {"region": "eu", "shard": i}
            event["latency_ms"] = 1.5 * i
        if i % 7 == 0:
            del event["features"]["color"]
        out.append(event)
    return out


def _read(store: Store, model: str) -> dict[str, list[Any]]:
    columns = store.events.read(model, ALL)
    return {name: [None if isinstance(v, float) and math.isnan(v) else v
                   for v in values.tolist()]
            for name, values in columns.items()}


def test_same_rows_as_the_row_path(store: Store) -> None:
    ingestor = Ingestor(store)
    rows = ingestor.ingest_events(_events(60, "rows"))
    groups, irregular = group_columns(_events(60, "cols"))
    assert (list(groups), irregular) == (["cols"], [])
    columnar = ingestor.ingest_columns("cols", to_columns(_events(60, "cols")))
    assert (rows.accepted, rows.rejected) == (columnar.accepted, columnar.rejected) == (60, [])
    assert [s.features for s in rows.schema_changes] == [
        s.features for s in columnar.schema_changes]
    assert _read(store, "rows") == _read(store, "cols")
    assert store.events.known_kinds("cols") == {"x": FeatureKind.NUMERIC, "n": FeatureKind.NUMERIC,
                                         "color": FeatureKind.CATEGORICAL}


def test_bad_rows_are_rejected_precisely_and_the_others_stored(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_columns("m", {"timestamp": [T0], "features": {"x": [1.0], "c": ["a"]}})
    report = ingestor.ingest_columns("m", {
        "event_id": ["a", "b", "c", "d", "e", "f", "g"],
        "timestamp": [T0, T0 * 1000, T0, T0, "2024-01-01T00:00:00Z", T0, T0],
        "features": {
            "x": [1.0, 2.0, math.inf, "oops", 5.0, None, 7.0],
            "c": ["u", "v", "w", "x", "y", 3, None],
        },
        "prediction": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -math.inf],
    })
    assert report.accepted == 2
    assert [r.as_dict() for r in report.rejected] == [
        {"index": 1, "field": "timestamp", "event_id": "b",
         "reason": "timestamp 1700000000000 is outside 2000-01-01..2100-01-01 "
                   "(epoch seconds expected, not milliseconds)"},
        {"index": 2, "field": "features.x", "event_id": "c",
         "reason": "expected a finite number, got inf"},
        {"index": 3, "field": "features.x", "event_id": "d",
         "reason": "expected a numeric value (as registered), got 'oops'"},
        {"index": 5, "field": "features.c", "event_id": "f",
         "reason": "expected a categorical value (as registered), got 3"},
        {"index": 6, "field": "prediction", "event_id": "g",
         "reason": "expected a finite number, got -inf"},
    ]
    assert store.events.count("m") == 3
    assert {"a", "e"} <= set(store.events.read("m", ["event_id"])["event_id"].tolist())


def test_batch_level_errors_raise() -> None:
    with pytest.raises(ValidationError,
                       match=r"'features\.y' has 1 values but 'timestamp' has 2") as e:
        validate_columns("m", {"timestamp": [T0, T0], "features": {"y": [1.0]}}, {})
    assert e.value.field == "columns.features.y"
    with pytest.raises(ValidationError, match="unknown column 'feature'") as e:
        validate_columns("m", {"feature": {"y": [1.0]}}, {})
    assert e.value.field == "columns.feature"
    with pytest.raises(ValidationError) as e:
        validate_columns("not a model!", {}, {})
    assert e.value.field == "model"
    with pytest.raises(ValidationError) as e:
        validate_columns("m", {"prediction": 0.5}, {})
    assert e.value.field == "columns.prediction"


def test_kinds_ids_labels_and_names() -> None:
    batch, rejected = validate_columns("m", {
        "features": {"mixed": [None, "a", 1.0, "b", "c"],
                     "bad-name": [None, None, None, 2.0, None],
                     "flag": [True, False, None, True, False], "empty": [None] * 5},
        "prediction": ["late", {"a": 0.4, "b": 0.6}, 0.3, None, 0.9],
        "prediction_label": [None, None, "chosen", None, None],
        "model_version": ["v1", "v2", "v1", None, None],
    }, {}, now=T0)
    assert [r.as_dict() for r in rejected] == [
        {"index": 2, "field": "features.mixed", "event_id": None,
         "reason": "expected a categorical value (as registered), got 1.0"},
        {"index": 3, "field": "features.bad-name", "event_id": None,
         "reason": f"feature name 'bad-name' must be {FEATURE_NAME_RULE}"},
    ]
    assert batch.kinds == {"mixed": FeatureKind.CATEGORICAL, "flag": FeatureKind.NUMERIC}
    assert list(batch.indices) == [0, 1, 4]
    assert list(batch.features["mixed"]) == [None, "a", "c"]
    assert list(batch.features["flag"]) == [1.0, 0.0, 0.0]
    assert list(batch.prediction) == [pytest.approx(math.nan, nan_ok=True), 0.6, 0.9]
    assert list(batch.prediction_label) == ["late", "b", None]
    assert list(batch.prediction_probs) == ["", '{"a":0.4,"b":0.6}', ""]
    assert list(batch.model_version) == ["v1", "v2", ""]
    assert list(batch.ts) == [T0] * 3
    ids = list(batch.event_id)
    assert len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)


def test_missing_values_are_null(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_columns("m", {
        "event_id": ["a", "b", "c"], "timestamp": np.full(3, T0 + 0.5),
        "features": {"x": np.array([1.0, np.nan, 3.0]), "c": [None, "u", None]},
    })
    assert report.accepted == 3
    profile = store.events.numeric_profile("m", ["x"], None, None)["x"]
    assert (profile["count"], profile["nulls"]) == (2.0, 1.0)
    assert store.events.category_counts("m", ["c"], None, None) == {"c": {None: 2, "u": 1}}
    stored = store.events.read("m", ["prediction", "latency_ms", "prediction_label", "ts"])
    assert np.isnan(stored["prediction"]).all() and np.isnan(stored["latency_ms"]).all()
    assert list(stored["prediction_label"]) == [None] * 3
    assert list(stored["ts"]) == [T0] * 3


def test_resending_a_batch_is_not_double_counted(store: Store) -> None:
    ingestor = Ingestor(store)
    columns = {"event_id": [f"e{i}" for i in range(500)],
               "timestamp": (T0 + np.arange(500) * 0.3).tolist(),
               "prediction": np.linspace(0, 1, 500), "model_version": "v1",
               "features": {"x": np.arange(500.0), "c": ["a", "b"] * 250}}
    assert ingestor.ingest_columns("m", columns).accepted == 500
    again = ingestor.ingest_columns("m", columns)
    assert (again.accepted, again.duplicates) == (0, 500)
    assert store.events.count("m") == 500


def test_ingest_frame(store: Store) -> None:
    df = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(6)],
        "timestamp": pd.to_datetime([T0 + i for i in range(6)], unit="s"),
        "prediction": [0.1, 0.2, np.nan, 0.4, 0.5, 0.6],
        "model_version": ["v1"] * 6,
        "x": [1.0, np.nan, 3.0, 4.0, 5.0, np.inf],
        "k": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
        "city": ["Oslo", None, "Rome", np.nan, "Oslo", "Rome"],
        "flag": [True, False, True, False, True, False],
    })
    report = Ingestor(store).ingest_frame("m", df)
    assert report.accepted == 5
    assert [(r.index, r.field) for r in report.rejected] == [(5, "features.x")]
    assert store.events.known_kinds("m") == {"x": FeatureKind.NUMERIC, "k": FeatureKind.NUMERIC,
                                      "city": FeatureKind.CATEGORICAL,
                                      "flag": FeatureKind.NUMERIC}
    stored = store.events.read("m", ["event_id", "ts", "prediction", "model_version", "x", "k",
                                     "city", "flag"])
    assert list(stored["event_id"]) == [f"e{i}" for i in range(5)]
    assert list(stored["ts"]) == [T0 + i for i in range(5)]
    assert list(stored["model_version"]) == ["v1"] * 5
    np.testing.assert_array_equal(stored["x"], [1.0, np.nan, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(stored["k"], [1.0, 2.0, np.nan, 4.0, 5.0])
    np.testing.assert_array_equal(stored["prediction"], [0.1, 0.2, np.nan, 0.4, 0.5])
    assert list(stored["city"]) == ["Oslo", None, "Rome", None, "Oslo"]
    assert list(stored["flag"]) == [1.0, 0.0, 1.0, 0.0, 1.0]

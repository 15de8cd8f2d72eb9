"""The row path: names match whole, bools are numbers, rejections name the field."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ValidationError
from driftline.ingest.columnar import validate_columns
from driftline.ingest.events import FeatureKind, validate_events, validate_labels
from driftline.ingest.frames import frame_columns

T0 = 1_700_000_000.0


def _event(**overrides: Any) -> dict[str, Any]:
    return {"model": "m", "timestamp": T0, "features": {"x": 1.0}, **overrides}


def test_a_model_name_with_a_trailing_newline_is_rejected() -> None:
    batches, rejected = validate_events([_event(model="m\n"), _event()])
    assert list(batches) == ["m"] and len(batches["m"]) == 1
    assert [(r.index, r.field) for r in rejected] == [(0, "model")]


def test_a_feature_name_with_a_trailing_newline_is_rejected() -> None:
    _, rejected = validate_events([_event(features={"x\n": 1.0})])
    assert [(r.index, r.field) for r in rejected] == [(0, "features.x\n")]


def test_a_tag_name_with_a_trailing_newline_is_rejected() -> None:
    _, rejected = validate_events([_event(tags={"region\n": "eu"})])
    assert [r.field for r in rejected] == ["tags"]


def test_bools_are_numeric_zero_and_one() -> None:
    batches, rejected = validate_events([_event(features={"flag": True}),
                                         _event(features={"flag": False})])
    assert not rejected
    assert batches["m"].kinds == {"flag": FeatureKind.NUMERIC}
    assert list(batches["m"].features["flag"]) == [1.0, 0.0]


def test_bools_get_the_same_kind_on_the_row_columnar_and_frame_paths() -> None:
    values = [True, False, None]
    rows, _ = validate_events([_event(features={"flag": v}) for v in values])
    columns, _ = validate_columns("m", {"timestamp": [T0] * 3,
                                        "features": {"flag": values}}, {})
    arrays, _ = validate_columns("m", {"timestamp": [T0] * 3,
                                       "features": {"flag": np.array([True, False, True])}}, {})
    frame = pd.DataFrame({"timestamp": [T0] * 3, "flag": [True, False, True],
                          "maybe": pd.array([True, None, False], dtype="boolean")})
    framed, _ = validate_columns("m", frame_columns(frame), {})
    kinds = [rows["m"].kinds["flag"], columns.kinds["flag"], arrays.kinds["flag"],
             framed.kinds["flag"], framed.kinds["maybe"]]
    assert kinds == [FeatureKind.NUMERIC] * 5
    assert list(columns.features["flag"][:2]) == list(rows["m"].features["flag"][:2])


def test_a_bool_timestamp_is_rejected_with_its_field() -> None:
    _, rejected = validate_events([_event(timestamp=True)])
    assert [r.field for r in rejected] == ["timestamp"]


def test_a_value_of_another_kind_than_registered_is_rejected() -> None:
    known = {"m": {"x": FeatureKind.CATEGORICAL}}
    _, rejected = validate_events([_event()], known)
    assert [r.field for r in rejected] == ["features.x"]
    assert "categorical" in rejected[0].reason


@pytest.mark.parametrize(("value", "field"), [
    ({"x": float("inf")}, "features.x"), ({"x": [1]}, "features.x"), ([1.0], "features"),
])
def test_bad_features_name_the_field(value: object, field: str) -> None:
    _, rejected = validate_events([_event(features=value)])
    assert [r.field for r in rejected] == [field]


def test_labels_need_an_event_id_and_a_valid_model() -> None:
    batches, rejected = validate_labels([
        {"model": "m", "event_id": "a", "label": 1, "timestamp": T0},
        {"model": "m\n", "event_id": "b", "label": 1, "timestamp": T0},
        {"model": "m", "label": 1},
    ])
    assert batches["m"].event_id == ["a"]
    assert [(r.index, r.field) for r in rejected] == [(1, "model"), (2, "event_id")]


def test_columnar_bad_model_name_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        validate_columns("m\n", {}, {})
    assert info.value.field == "model"

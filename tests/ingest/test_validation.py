"""The one validation module: names match whole, timestamps, the feature-kind rule."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.ingest.validation import (
    FEATURE_NAME,
    MODEL_NAME,
    FeatureKind,
    check_feature_name,
    check_model_name,
    check_tag_name,
    column_kind,
    is_feature_name,
    is_model_name,
    parse_timestamp,
    value_kind,
)

T0 = 1_700_000_000.0


@pytest.mark.parametrize("name", ["fraud\n", "fraud\nx", "", "-x", "a" * 65, "a b", 3, None])
def test_bad_model_names(name: object) -> None:
    assert not is_model_name(name)
    with pytest.raises(ValidationError) as info:
        check_model_name(name)
    assert info.value.field == "model"


@pytest.mark.parametrize("name", ["age\n", "1x", "event_id", "ts", "a-b", "x" * 129])
def test_bad_feature_names(name: str) -> None:
    assert not is_feature_name(name)
    assert FEATURE_NAME.match(name) is None  # anchored: .match is a full match too
    with pytest.raises(ValidationError) as info:
        check_feature_name(name, "features.x")
    assert info.value.field == "features.x"


def test_good_names_and_anchored_patterns() -> None:
    assert check_model_name("late-arrival_2") == "late-arrival_2"
    assert check_feature_name("_dep_delay") == "_dep_delay"
    assert check_feature_name("tsx") == "tsx"  # only the reserved name itself is refused
    assert check_tag_name("region") == "region"
    assert MODEL_NAME.match("m\n") is None
    with pytest.raises(ValidationError):
        check_tag_name("region\n")


@pytest.mark.parametrize(("value", "expected"), [
    (T0, T0), (int(T0), T0), ("2023-11-14T22:13:20Z", T0), ("2023-11-14T22:13:20", T0),
    (datetime.fromtimestamp(T0, UTC), T0), (datetime(2023, 11, 14, 22, 13, 20), T0),
    (np.float64(T0), T0),
])
def test_timestamps(value: object, expected: float) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", [True, T0 * 1000, "yesterday", float("nan"), [T0], 0])
def test_bad_timestamps_name_the_field(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_timestamp(value, "columns.timestamp")
    assert info.value.field == "columns.timestamp"


def test_missing_timestamp_is_now() -> None:
    assert parse_timestamp(None, now=T0) == T0


@pytest.mark.parametrize(("value", "kind"), [
    (1, FeatureKind.NUMERIC), (2.5, FeatureKind.NUMERIC), (True, FeatureKind.NUMERIC),
    (np.bool_(False), FeatureKind.NUMERIC), (np.int8(3), FeatureKind.NUMERIC),
    (np.float32(1), FeatureKind.NUMERIC), (float("inf"), FeatureKind.NUMERIC),
    ("a", FeatureKind.CATEGORICAL), ("", FeatureKind.CATEGORICAL),
    (None, None), (float("nan"), None), (np.float64("nan"), None),
])
def test_value_kind(value: object, kind: FeatureKind | None) -> None:
    assert value_kind(value) is kind


@pytest.mark.parametrize("value", [[1], {"a": 1}, b"x", object()])
def test_value_kind_refuses_other_types(value: object) -> None:
    with pytest.raises(ValidationError):
        value_kind(value)


@pytest.mark.parametrize(("column", "kind"), [
    (np.array([True, False]), FeatureKind.NUMERIC),
    (np.array([1, 2]), FeatureKind.NUMERIC),
    (np.array(["a", "b"]), FeatureKind.CATEGORICAL),
    ([None, True, "a"], FeatureKind.NUMERIC),  # the first present value decides
    ([float("nan"), "a", 1.0], FeatureKind.CATEGORICAL),
    (np.array([None, "a"], dtype=object), FeatureKind.CATEGORICAL),
    ([None, float("nan")], None),
    ([], None),
])
def test_column_kind(column: object, kind: FeatureKind | None) -> None:
    assert column_kind(column) is kind  # type: ignore[arg-type]


def test_feature_kinds_are_the_detector_input_kinds() -> None:
    from driftline.detector import INPUT_KINDS

    assert {str(k) for k in FeatureKind} == set(INPUT_KINDS)

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


def test_feature_kinds_are_the_ones_of_driftline_feature_kinds() -> None:
    import driftline.feature_kinds as kinds

    assert (FeatureKind, column_kind, value_kind) == (
        kinds.FeatureKind, kinds.column_kind, kinds.value_kind)


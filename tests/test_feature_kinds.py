"""Feature kinds: one rule for ingest, storage and the detectors."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.feature_kinds import FeatureKind, column_kind, value_kind


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


def test_numeric_looking_strings_are_categorical() -> None:
    assert column_kind(np.array(["1.0", "2.0"])) is FeatureKind.CATEGORICAL
    assert column_kind(np.array(["1.0", None], dtype=object)) is FeatureKind.CATEGORICAL

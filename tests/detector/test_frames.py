"""The one input adapter: every table shape a user holds reaches the detectors the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftline.detector import get_detector
from driftline.detector._frames import (
    as_columns,
    categorical_values,
    feature_kind,
    numeric_values,
)
from driftline.errors import ValidationError
from driftline.feature_kinds import FeatureKind

X = [1.0, 2.5, None, 4.0]
C = ["a", None, "b", "a"]


def _same(columns: dict[str, np.ndarray]) -> None:
    assert list(columns) == ["x", "c"]
    np.testing.assert_array_equal(numeric_values("x", columns["x"], "ks"), [1.0, 2.5, 4.0])
    assert feature_kind(columns["c"]) is FeatureKind.CATEGORICAL
    assert [v for v in columns["c"].tolist() if v is not None] == ["a", "b", "a"]


def test_a_mapping_of_lists() -> None:
    _same(as_columns({"x": X, "c": np.array(C, dtype=object)}))


def test_a_pandas_dataframe_with_missing_values() -> None:
    frame = pd.DataFrame({"x": X, "c": C})
    frame["c"] = frame["c"].astype("string")  # pd.NA, not None
    _same(as_columns(frame))
    nullable = pd.DataFrame({"x": pd.array([1, None, 3], dtype="Int64")})
    np.testing.assert_array_equal(numeric_values("x", as_columns(nullable)["x"], "ks"), [1, 3])


def test_a_pyarrow_table_with_nulls() -> None:
    _same(as_columns(pa.table({"x": X, "c": C})))


def test_a_structured_array_and_a_named_2d_array() -> None:
    structured = np.array([(1.0, 2), (3.0, 4)], dtype=[("a", "f8"), ("b", "i4")])
    assert list(as_columns(structured)) == ["a", "b"]
    plain = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(as_columns(plain, names=["u", "v"])["v"], [1.0, 3.0, 5.0])
    with pytest.raises(ValidationError, match="one name per column"):
        as_columns(plain)


@pytest.mark.parametrize("bad", [[1, 2, 3], "x", 3.0, np.arange(3.0)])
def test_other_inputs_are_refused_clearly(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        as_columns(bad, what="window")
    assert info.value.field == "window"


def test_unequal_lengths_are_refused_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="different lengths"):
        as_columns({"a": [1, 2], "b": [1]})
    assert len(as_columns({"a": [1, 2], "b": [1]}, same_length=False)["b"]) == 1


def test_numeric_looking_strings_are_not_parsed_as_numbers() -> None:
    # issue 8: KS / CvM parsed "1.0" category codes as numbers, silently
    codes = np.array(["1.0", "2.0", "2.0"])
    with pytest.raises(ValidationError, match="'code' is categorical") as info:
        numeric_values("code", codes, "ks")
    assert info.value.field == "code"
    for test in ("ks", "cvm"):
        with pytest.raises(ValidationError, match="'code' is categorical"):
            get_detector(test).fit({"code": codes})


def test_bools_are_numeric_as_at_ingest() -> None:
    np.testing.assert_array_equal(numeric_values("b", np.array([True, False]), "ks"), [1, 0])
    with pytest.raises(ValidationError, match="'b' is numeric"):
        categorical_values("b", np.array([True, False]), "chi2")


def test_a_mixed_object_column_names_the_offending_value() -> None:
    with pytest.raises(ValidationError, match=r"'x'.*'oops'"):
        numeric_values("x", np.array([1.0, "oops"], dtype=object), "ks")


def test_every_per_feature_test_takes_a_dataframe() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200)})
    for test in ("ks", "cvm"):
        result = get_detector(test).fit(frame).score(frame.iloc[:100])
        assert result.features[0].n_window == 100

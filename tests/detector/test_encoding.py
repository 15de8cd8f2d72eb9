import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftline.detector._encoding import FrameEncoder
from driftline.errors import NotFittedError, ValidationError


def _reference() -> dict[str, np.ndarray]:
    return {
        "age": np.array([20.0, 30.0, np.nan, 50.0]),
        "city": np.array(["b", "a", "b", None], dtype=object),
    }


def test_numeric_standardized_with_reference_mean_and_sample_std() -> None:
    enc = FrameEncoder().fit(_reference())
    out = enc.transform({"age": np.array([33.333333333333336, np.nan]), "city": ["a", "a"]})
    std = np.std([20.0, 30.0, 50.0], ddof=1)
    assert out[0, 0] == pytest.approx(0.0, abs=1e-12)
    assert out[1, 0] == 0.0  # missing -> reference mean -> 0
    ref = enc.transform(_reference())
    assert ref[0, 0] == pytest.approx((20.0 - 100.0 / 3) / std)


def test_categorical_one_hot_with_unseen_column_and_missing_as_zero_row() -> None:
    enc = FrameEncoder().fit(_reference())
    assert enc.features == ("age", "city")
    assert enc.n_columns == 1 + 2 + 1  # age, city=a, city=b, unseen
    cities = np.array(["a", "b", "zzz", None], dtype=object)
    out = enc.transform({"age": [1.0, 2.0, 3.0, 4.0], "city": cities})
    np.testing.assert_array_equal(out[:, 1:], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]])


def test_standardize_false_keeps_units_but_fills_missing_with_mean() -> None:
    enc = FrameEncoder(standardize=False).fit({"x": [1.0, 2.0, 6.0]})
    np.testing.assert_array_equal(enc.transform({"x": [5.0, np.nan]})[:, 0], [5.0, 3.0])


def test_constant_feature_keeps_scale_one() -> None:
    enc = FrameEncoder().fit({"x": [2.0, 2.0, 2.0]})
    np.testing.assert_array_equal(enc.transform({"x": [3.0]}), [[1.0]])


def test_integer_and_object_numeric_columns_are_numeric() -> None:
    enc = FrameEncoder().fit(
        {"i": np.array([1, 2, 3]), "o": np.array([1.0, None, 3.0], dtype=object)}
    )
    assert enc.n_columns == 2


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"age": [1.0]}, "city"),
        ({"age": [[1.0]], "city": ["a"]}, "age"),
    ],
)
def test_bad_frames_name_the_field(frame: dict[str, object], field: str) -> None:
    enc = FrameEncoder().fit(_reference())
    with pytest.raises(ValidationError) as info:
        enc.transform(frame)  # type: ignore[arg-type]
    assert info.value.field == field


def test_length_mismatch_and_non_numeric_values_are_rejected() -> None:
    enc = FrameEncoder().fit(_reference())
    with pytest.raises(ValidationError, match="different lengths"):
        enc.transform({"age": [1.0, 2.0], "city": ["a"]})
    with pytest.raises(ValidationError):
        FrameEncoder().fit({})
    with pytest.raises(ValidationError, match="must be numeric"):
        FrameEncoder().fit({"x": np.array([1.0, "a"], dtype=object)})
    with pytest.raises(ValidationError, match="infinite"):
        FrameEncoder().fit({"x": [1.0, np.inf]})


def test_a_feature_without_values_in_the_reference_is_a_presence_indicator() -> None:
    enc = FrameEncoder().fit({"x": [np.nan, np.nan], "c": np.array([None, None], dtype=object)})
    assert enc.n_columns == 2
    np.testing.assert_array_equal(enc.transform({"x": [np.nan, 1.0], "c": [None, "a"]}),
                                  [[0.0, 0.0], [1.0, 1.0]])
    empty = FrameEncoder().fit({"x": np.array([], dtype=float)})
    assert empty.transform({"x": [3.0]}).shape == (1, 1)


def test_pandas_and_arrow_tables_encode_like_mappings() -> None:
    expected = FrameEncoder().fit(_reference()).transform(_reference())
    frame = pd.DataFrame(_reference())
    np.testing.assert_array_equal(FrameEncoder().fit(frame).transform(frame), expected)
    table = pa.table({"age": [20.0, 30.0, None, 50.0], "city": ["b", "a", "b", None]})
    np.testing.assert_array_equal(FrameEncoder().fit(table).transform(table), expected)
    assert FrameEncoder().fit_transform(frame).tolist() == expected.tolist()


def test_numeric_looking_strings_are_categories_and_kinds_must_match() -> None:
    enc = FrameEncoder().fit({"code": ["1.0", "2", "1.0"], "x": [1, 2, 3]})
    assert enc.n_columns == 2 + 1 + 1  # "1.0", "2", unseen; x
    np.testing.assert_array_equal(enc.transform({"code": ["2", "1"], "x": [2, 2]})[:, :3],
                                  [[0, 1, 0], [0, 0, 1]])
    with pytest.raises(ValidationError, match="categorical in the reference") as info:
        enc.transform({"code": [1.0, 2.0], "x": [2, 2]})
    assert info.value.field == "code"
    with pytest.raises(ValidationError, match="numeric in the reference"):
        enc.transform({"code": ["1.0"], "x": ["2"]})
    # a window column that is all missing fits either kind
    out = enc.transform({"code": [np.nan, np.nan], "x": np.array([None, None], dtype=object)})
    np.testing.assert_array_equal(out, [[0, 0, 0, 0], [0, 0, 0, 0]])


def test_bools_are_numeric_and_rows_can_be_selected() -> None:
    enc = FrameEncoder(standardize=False).fit({"b": [True, False, True]})
    columns = FrameEncoder.columns({"b": np.array([True, False, False])}, "window")
    np.testing.assert_array_equal(enc.transform_columns(columns, [0, 2])[:, 0], [1.0, 0.0])


def test_transform_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        FrameEncoder().transform({"x": [1.0]})

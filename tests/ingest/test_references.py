"""The training hook ``save_reference``: a reference profile stored next to the events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.ingest.references import save_reference
from driftline.storage import Store


def test_a_saved_reference_loads_back_equal(store: Store) -> None:
    frame: dict[str, Any] = {
        "age": np.array([31.0, np.nan, 58.5, 22.0]),
        "plan": np.array(["basic", "pro", None, "basic"], dtype=object),
        "seats": [1, 3, 2, 10],
        "active": np.array([True, False, True, True]),
    }
    version = save_reference(store, "churn", frame)
    assert store.references.version("churn") == version
    loaded = store.references.load("churn")
    assert sorted(loaded) == sorted(frame)
    np.testing.assert_array_equal(loaded["age"], frame["age"])
    assert list(loaded["plan"]) == ["basic", "pro", None, "basic"]
    assert loaded["seats"].dtype == np.float64
    np.testing.assert_array_equal(loaded["seats"], [1.0, 3.0, 2.0, 10.0])
    np.testing.assert_array_equal(loaded["active"], [1.0, 0.0, 1.0, 1.0])


def test_saving_again_stores_a_newer_version(store: Store) -> None:
    first = save_reference(store, "churn", {"age": [1.0, 2.0], "plan": ["a", "b"]})
    second = save_reference(store, "churn", {"age": [3.0]})
    assert second > first
    assert store.references.version("churn") == second
    latest = store.references.load("churn")
    assert list(latest) == ["age"]  # the new version only
    np.testing.assert_array_equal(latest["age"], [3.0])
    holdout = save_reference(store, "churn", {"age": [9.0]}, name="holdout")
    assert holdout > second
    assert store.references.version("churn") == second  # other names keep their own versions
    assert store.references.version("churn", "holdout") == holdout
    assert store.references.list("churn") == ["holdout", "training"]


@pytest.mark.parametrize(
    ("model", "frame", "name", "field"),
    [
        ("no such model!", {"x": [1.0]}, "training", "model"),
        ("m", {"not ok": [1.0]}, "training", "frame.not ok"),
        ("m", {"x": [1.0], "y": [1.0, 2.0]}, "training", "frame"),
        ("m", {"x": [1.0]}, "bad name", "name"),
    ],
)
def test_bad_names_raise_a_validation_error_naming_the_field(
    chdb_store: Store, model: str, frame: dict[str, list[float]], name: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        save_reference(chdb_store, model, frame, name=name)
    assert info.value.field == field
    assert chdb_store.references.list("m") == []


def test_a_large_frame_is_sampled_deterministically(chdb_store: Store) -> None:
    n = 1_000
    x = np.arange(n, dtype=np.float64)
    frame = {"x": x, "c": np.array([f"c{i}" for i in range(n)], dtype=object)}

    def sample(seed: int) -> dict[str, list[Any]]:
        save_reference(chdb_store, "m", frame, max_rows=100, seed=seed)
        loaded = chdb_store.references.load("m")
        return {k: list(v) for k, v in loaded.items()}

    a = sample(3)
    assert len(a["x"]) == len(a["c"]) == 100
    assert len(set(a["x"])) == 100 and set(a["x"]) <= set(x)
    assert a["c"] == [f"c{int(v)}" for v in a["x"]]  # the same rows of every feature
    assert sample(3) == a  # same seed, same rows
    assert sample(4) != a  # another seed, another sample


def test_a_frame_within_max_rows_is_kept_whole(chdb_store: Store) -> None:
    x = np.arange(50, dtype=np.float64)
    save_reference(chdb_store, "m", {"x": x}, max_rows=50, seed=1)
    np.testing.assert_array_equal(chdb_store.references.load("m")["x"], x)

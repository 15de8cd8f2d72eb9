from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ValidationError
from driftline.ingest.references import list_references, load_reference, save_reference
from driftline.ingest.store import Store


def test_reference_round_trip_keeps_kinds_and_latest_version(store: Store) -> None:
    frame = {"x": np.array([1.0, np.nan, 3.0]), "c": np.array(["a", None, "b"], dtype=object)}
    save_reference(store, "m", frame)
    loaded = load_reference(store, "m")
    np.testing.assert_array_equal(loaded["x"], frame["x"])
    assert list(loaded["c"]) == ["a", None, "b"]
    save_reference(store, "m", {"x": np.array([7.0])})
    assert list(load_reference(store, "m")) == ["x"]
    assert list_references(store, "m") == ["training"]


def test_large_reference_is_sampled_deterministically(chdb_store: Store) -> None:
    x = np.arange(1000, dtype=float)
    save_reference(chdb_store, "m", {"x": x}, max_rows=100, seed=3)
    a = load_reference(chdb_store, "m")["x"]
    save_reference(chdb_store, "m", {"x": x}, max_rows=100, seed=3)
    assert len(a) == 100
    np.testing.assert_array_equal(a, load_reference(chdb_store, "m")["x"])


def test_missing_reference_and_bad_input_are_precise(chdb_store: Store) -> None:
    with pytest.raises(ValidationError, match="no stored reference"):
        load_reference(chdb_store, "nothing")
    with pytest.raises(ValidationError, match="differ in length"):
        save_reference(chdb_store, "m", {"a": [1.0], "b": [1.0, 2.0]})

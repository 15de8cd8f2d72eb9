"""store.references (and the training hook), on chDB and the server."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import NotFoundError, ValidationError
from driftline.ingest.references import save_reference
from driftline.storage import Store


def test_reference_round_trip_keeps_kinds_and_latest_version(store: Store) -> None:
    frame = {"x": np.array([1.0, np.nan, 3.0]), "c": np.array(["a", None, "b"], dtype=object)}
    first = store.references.save("m", frame)
    assert store.references.version("m") == first
    loaded = store.references.load("m")
    np.testing.assert_array_equal(loaded["x"], frame["x"])
    assert list(loaded["c"]) == ["a", None, "b"]
    second = store.references.save("m", {"x": np.array([7.0])})
    assert second > first and store.references.version("m") == second
    assert list(store.references.load("m")) == ["x"]
    store.references.save("m", {"x": np.array([1.0])}, name="holdout")
    assert store.references.list("m") == ["holdout", "training"]
    assert store.references.list("other") == [] and store.references.version("other") is None


def test_the_training_hook_saves_through_the_store(store: Store) -> None:
    version = save_reference(store, "m", {"x": [1.0, 2.0]})
    assert store.references.version("m") == version
    np.testing.assert_array_equal(store.references.load("m")["x"], [1.0, 2.0])


def test_large_reference_is_sampled_deterministically(chdb_store: Store) -> None:
    x = np.arange(1000, dtype=float)
    chdb_store.references.save("m", {"x": x}, max_rows=100, seed=3)
    a = chdb_store.references.load("m")["x"]
    chdb_store.references.save("m", {"x": x}, max_rows=100, seed=3)
    assert len(a) == 100
    np.testing.assert_array_equal(a, chdb_store.references.load("m")["x"])


def test_missing_reference_and_bad_input_are_precise(chdb_store: Store) -> None:
    with pytest.raises(NotFoundError, match="no stored reference") as missing:
        chdb_store.references.load("nothing")
    assert missing.value.what == "reference" and missing.value.name == "training"
    with pytest.raises(ValidationError, match="differ in length"):
        chdb_store.references.save("m", {"a": [1.0], "b": [1.0, 2.0]})
    with pytest.raises(ValidationError, match="feature name") as bad:
        chdb_store.references.save("m", {"not ok": [1.0]})
    assert bad.value.field == "frame.not ok"
    with pytest.raises(ValidationError, match="reference name"):
        chdb_store.references.version("m", "bad name")

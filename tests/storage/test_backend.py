"""The Backend protocol, run against both backends through the ``store`` fixture."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.errors import StoreError
from driftline.storage import Backend, Capabilities, Store


def test_both_backends_implement_the_protocol(store: Store) -> None:
    assert isinstance(store.backend, Backend)
    assert store.backend.version >= (18, 16)
    assert store.backend.capabilities == Capabilities.for_version(store.backend.version)


def test_capabilities_follow_the_version() -> None:
    old, new = Capabilities.for_version((18, 16, 1)), Capabilities.for_version((24, 3))
    assert not (old.if_not_exists_column or old.low_cardinality or old.ttl)
    assert new.if_not_exists_column and new.low_cardinality and new.ttl and new.mutations_sync


def test_insert_and_select_every_column_type(store: Store) -> None:
    table = store.dialect.table("types")
    types = {"s": "String", "ns": "Nullable(String)", "f": "Float64",
             "nf": "Nullable(Float64)", "u": "UInt64", "t": "DateTime('UTC')",
             "a": "Array(String)"}
    store.backend.execute(store.dialect.create_table("types", types, "MergeTree()", ("u",)))
    store.backend.insert(table, {
        "s": ["a", "b", "c"], "ns": ["x", None, "z"], "f": np.array([1.5, math.nan, 3.0]),
        "nf": np.array([1.0, math.nan, 2.0]), "u": [1, 2, 3],
        "t": np.array([1_700_000_000.7, 0.0, 1.0]),
        "a": [["k1", "k2"], ["k3", "k4"], []],  # equal lengths must stay lists, not a matrix
    }, types)
    rows = store.select(
        f"SELECT s, ns, f, nf, isNull(nf) AS nf_null, u, toUnixTimestamp(t) AS t, a"
        f" FROM {table} ORDER BY u")
    assert list(rows["s"]) == ["a", "b", "c"] and list(rows["ns"]) == ["x", None, "z"]
    assert rows["f"][0] == 1.5 and math.isnan(rows["f"][1])
    assert list(rows["nf_null"]) == [0, 1, 0]
    assert list(rows["u"]) == [1, 2, 3] and list(rows["t"]) == [1_700_000_000, 0, 1]
    assert rows["a"].dtype == object and rows["a"].shape == (3,)
    assert [list(v) for v in rows["a"]] == [["k1", "k2"], ["k3", "k4"], []]


def test_a_bad_statement_is_a_store_error_with_the_sql(store: Store) -> None:
    with pytest.raises(StoreError, match="while running: SELECT nope"):
        store.select("SELECT nope FROM system.one")

"""Versioned migrations: fresh stores, idempotence, refusals, and the upgrade of a store made
by the code before migrations (tests/storage/legacy_layout.py)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from driftline.errors import StoreVersionError
from driftline.ingest.events import FeatureKind
from driftline.storage import MIGRATIONS, ResultStatus, Store
from driftline.storage.migrations import MIGRATION_COLUMNS, Migration, Step, applied, migrate
from tests.conftest import open_test_store
from tests.storage.legacy_layout import (
    EVENT_COLUMNS,
    LABEL_COLUMNS,
    MODEL_COLUMNS,
    REFERENCE_COLUMNS,
    RESULT_COLUMNS,
    SCHEMA_COLUMNS,
    create_legacy_layout,
    create_legacy_model,
)

T0 = 1_700_000_000
#: an applied migration is never edited: these pin what every store in the field ran
CHECKSUMS = {
    1: "1c2272b07eb339d24d169a73ffa003148a05db9be97746a884e994f65ab64cdc",
    2: "0029f511594aa3bae829a04d1c4a1ba928a7b9a91498e6dd5aa2c85a9e32aae8",
    3: "f6280e75507cd83b0fe82495acac83cb08ba9ab07329516d1369c60291df8219",
    4: "8405dcbc6cbbae6f9146fd6b71cdc9cda43e64c373cdb034aa67489d720c4701",
}


@pytest.fixture(params=["chdb", pytest.param("server", marks=pytest.mark.server)])
def bare(request: pytest.FixtureRequest, chdb_path: Path) -> Iterator[Store]:
    """A store on a database that does not exist yet (nothing migrated)."""
    s = open_test_store(request.param, chdb_path, migrate=False)
    yield s
    s.drop_database()
    s.close()


def _tables(store: Store) -> list[str]:
    return sorted(str(n) for n in store.select(store.dialect.tables())["name"])


def test_a_fresh_store_records_every_migration(bare: Store) -> None:
    assert bare.migrate() == [m.id for m in MIGRATIONS]
    records = applied(bare)
    assert [(r.id, r.name, r.checksum) for r in records] == [
        (m.id, m.name, m.checksum) for m in MIGRATIONS]
    assert all(abs(r.applied_at - time.time()) < 120 for r in records)
    assert _tables(bare) == ["feature_activity", "feature_schemas", "labels", "leases",
                             "models", "reference_rows", "results", "results_v1",
                             "schema_migrations"]


def test_migrating_twice_changes_nothing(bare: Store) -> None:
    bare.migrate()
    before = (applied(bare), _tables(bare))
    assert bare.migrate() == []
    assert (applied(bare), _tables(bare)) == before


def test_migration_checksums_are_pinned() -> None:
    assert {m.id: m.checksum for m in MIGRATIONS} == CHECKSUMS
    assert [m.id for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def _record(store: Store, id_: int, name: str, checksum: str) -> None:
    store.backend.insert(store.dialect.table("schema_migrations"),
                         {"id": [id_], "name": [name], "checksum": [checksum],
                          "applied_at": [time.time()]}, MIGRATION_COLUMNS)


def test_a_store_from_a_newer_driftline_is_refused(bare: Store) -> None:
    bare.migrate()
    _record(bare, len(MIGRATIONS) + 1, "from the future", "x")
    with pytest.raises(StoreVersionError, match=f"migration {len(MIGRATIONS) + 1}.*upgrade"):
        bare.migrate()


def test_a_changed_migration_is_reported(bare: Store) -> None:
    first = MIGRATIONS[0]
    bare.migrate()
    edited = Migration(first.id, first.name, lambda d: [*first.steps(d), Step("SELECT 1")])
    with pytest.raises(StoreVersionError, match=r"migration 1 .*changed after it ran"):
        migrate(bare, (edited, *MIGRATIONS[1:]))


def test_an_interrupted_migration_runs_again(bare: Store) -> None:
    """Migration 2 stopped after its rename: running it again completes it, rows intact."""
    d = bare.dialect
    migrate(bare, MIGRATIONS[:1])
    _legacy_results(bare)
    bare.backend.execute(d.rename_table("results", "results_v1"))  # the first step, then a crash
    bare.migrate()
    assert len(bare.results.read(all_revisions=True)) == 3


# -- the upgrade from the layout before migrations ---------------------------------------------
def _legacy_results(store: Store) -> None:
    rows = [
        # monitor, window start, test, feature, statistic, p, drifted, status, details, run_ns
        ("mon", T0, "ks", "x", 0.5, 1e-6, 1, "drift", {"n": 1}, 11),
        ("mon", T0, "ks", "*", 0.5, 1e-6, 1, "drift", {}, 11),
        ("mon", T0 + 60, "ks", "*", math.nan, math.nan, 0, "insufficient_data",
         {"note": "reference: empty trailing window"}, 12),
    ]
    columns: dict[str, list[object]] = {name: [] for name in RESULT_COLUMNS}
    for mon, start, test, feature, stat, p, drifted, status, details, run_ns in rows:
        values = {"monitor_id": mon, "model": "m1", "window_start": start,
                  "window_end": start + 60, "reference_start": start - 60,
                  "reference_end": start, "test": test, "feature": feature, "statistic": stat,
                  "p_value": p, "threshold": 0.05, "effect_size": 0.25, "drifted": drifted,
                  "status": status, "n_reference": 100, "n_window": 200,
                  "details": json.dumps(details), "run_ns": run_ns}
        for name, value in values.items():
            columns[name].append(value)
    store.backend.insert(store.dialect.table("results"), columns, RESULT_COLUMNS)


def _fill_legacy(store: Store) -> None:
    b, d, db = store.backend, store.dialect, store.database
    create_legacy_layout(b, db)
    create_legacy_model(b, db, "m1", {"f_x": "Nullable(Float64)", "f_color": "Nullable(String)"})
    b.insert(d.table("models"), {"name": ["m1"], "created_at": [T0]}, MODEL_COLUMNS)
    b.insert(d.table("feature_schemas"), {
        "model": ["m1"], "version": [1],
        "features": [json.dumps({"color": "categorical", "x": "numeric"})],
        "added": [json.dumps(["color", "x"])], "removed": ["[]"], "created_at": [T0]},
        SCHEMA_COLUMNS)
    n = 10
    b.insert(d.table("events_m1"), {
        "event_id": [f"e{i}" for i in range(n)], "ts": [T0 + i for i in range(n)],
        "model_version": ["v1"] * n, "prediction": [0.5] * n,
        "prediction_label": [None] * n, "prediction_probs": [""] * n,
        "latency_ms": [1.0] * n, "tags": [""] * n, "schema_version": [1] * n,
        "f_x": [float(i) for i in range(n)], "f_color": ["red", None] * (n // 2),
    }, EVENT_COLUMNS | {"f_x": "Nullable(Float64)", "f_color": "Nullable(String)"})
    b.insert(d.table("labels"), {
        "model": ["m1", "m1"], "event_id": ["e1", "e2"], "label": [1.0, math.nan],
        "label_class": [None, "yes"], "ts": [T0 + 100, T0 + 100], "received_ns": [5, 6],
    }, LABEL_COLUMNS)
    _legacy_results(store)
    b.insert(d.table("reference_rows"), {
        "model": ["m1"] * 3, "name": ["training"] * 3, "version": [7] * 3,
        "feature": ["x", "x", "color"], "row": [0, 1, 0], "value": [1.0, 2.0, None],
        "category": [None, None, "red"]}, REFERENCE_COLUMNS)


def test_a_store_from_before_migrations_is_upgraded_with_every_row(bare: Store) -> None:
    _fill_legacy(bare)
    assert bare.migrate() == [1, 2, 3, 4]
    # events, schemas and models
    assert [(m.name, m.schema_version, m.n_features) for m in bare.events.list_models()] == [
        ("m1", 1, 2)]
    assert bare.events.known_kinds("m1") == {"x": FeatureKind.NUMERIC,
                                             "color": FeatureKind.CATEGORICAL}
    assert bare.events.count("m1") == 10
    cols = bare.events.read("m1", ["ts", "x", "color"])
    np.testing.assert_array_equal(cols["x"], np.arange(10.0))
    assert list(cols["color"][:2]) == ["red", None] and cols["ts"][0] == T0
    # labels
    joined = bare.labels.read_labeled("m1")
    assert list(joined["event_id"]) == ["e1", "e2"] and joined["label_class"][1] == "yes"
    assert bare.labels.latest_received_ns("m1", T0, T0 + 10) == 6
    # references
    assert bare.references.version("m1") == 7
    frame = bare.references.load("m1")
    np.testing.assert_array_equal(frame["x"], [1.0, 2.0])
    assert list(frame["color"]) == ["red"]
    # results, as general records
    records = bare.results.read("m1")
    assert [(r.window_start, r.subject, r.metric, r.status) for r in records] == [
        (T0, "*", "ks", ResultStatus.ALERT), (T0, "x", "ks", ResultStatus.ALERT),
        (T0 + 60, "*", "ks", ResultStatus.REFERENCE_UNAVAILABLE)]
    first = records[1]
    assert (first.kind, first.model, first.monitor_id, first.value, first.p_value) == (
        "drift", "m1", "mon", 0.5, 1e-6)
    assert (first.threshold, first.effect_size, first.n_reference, first.n_window) == (
        0.05, 0.25, 100, 200)
    assert (first.reference_start, first.reference_end, first.window_end) == (
        T0 - 60, T0, T0 + 60)
    assert first.revision == 11 and first.labels == {} and first.details == {"n": 1}
    assert math.isnan(first.lower) and math.isnan(first.upper)
    assert math.isnan(records[2].value)
    assert records[2].details == {"note": "reference: empty trailing window"}
    # and the store keeps working: new events, a new revision
    assert bare.results.last_window_end("mon") == T0 + 120
    assert bare.migrate() == []


def test_old_statuses_map_to_the_new_ones(bare: Store) -> None:
    migrate(bare, MIGRATIONS[:1])
    columns: dict[str, list[object]] = {name: [] for name in RESULT_COLUMNS}
    cases = [(0, "no_drift", "{}"), (0, "insufficient_data", "{}"),
             (0, "insufficient_data", '{"note": "reference: none"}'), (1, "drift", "{}"),
             (0, "something_else", "{}")]
    for i, (drifted, status, details) in enumerate(cases):
        for name, value in {"monitor_id": "mon", "model": "m", "window_start": T0 + 60 * i,
                            "window_end": T0 + 60 * i + 60, "reference_start": 0,
                            "reference_end": 0, "test": "psi", "feature": "*",
                            "statistic": 0.1, "p_value": math.nan, "threshold": 0.2,
                            "effect_size": math.nan, "drifted": drifted, "status": status,
                            "n_reference": 1, "n_window": 1, "details": details,
                            "run_ns": 1}.items():
            columns[name].append(value)
    bare.backend.insert(bare.dialect.table("results"), columns, RESULT_COLUMNS)
    bare.migrate()
    assert [r.status for r in bare.results.read("m")] == [
        ResultStatus.OK, ResultStatus.INSUFFICIENT_DATA, ResultStatus.REFERENCE_UNAVAILABLE,
        ResultStatus.ALERT, ResultStatus.ERROR]

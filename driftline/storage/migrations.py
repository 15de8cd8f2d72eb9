"""Versioned schema migrations, applied in order by ``Store.migrate()``.

Each migration is a list of statements with an id and a name; ``schema_migrations`` records
the ones applied (id, name, checksum, applied_at). Running ``migrate`` again changes nothing.
A store whose highest applied id is beyond what this code knows was written by a newer
driftline (``StoreVersionError``), and so is one whose recorded checksum differs from the
code's (the migration was edited after it ran). An applied migration is never edited: add one.
Migrations render the column constants of the table modules; a test pins every checksum, so
changing a constant that a migration uses fails it: freeze the old value in that migration
and add a new migration (e.g. an ``ADD COLUMN``) for the change.

A store made before migrations existed has the tables of migration 1 (created with ``IF NOT
EXISTS``) and no ``schema_migrations``: migration 1 records itself and the rest upgrade it.
Every step can be run again after an interruption (a step guarded by ``unless_table`` is
skipped once that table exists), and the SQL runs on ClickHouse 18.16.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from driftline.errors import StoreVersionError
from driftline.storage._feature_activity import (
    ACTIVITY_COLUMNS,
    ACTIVITY_ENGINE,
    ACTIVITY_ORDER,
)
from driftline.storage.dialect import Dialect
from driftline.storage.events import MODEL_COLUMNS, SCHEMA_COLUMNS
from driftline.storage.labels import LABEL_COLUMNS
from driftline.storage.leases import LEASE_COLUMNS, LEASE_ORDER
from driftline.storage.references import REFERENCE_COLUMNS, REFERENCE_ORDER
from driftline.storage.results import (
    RESULT_COLUMNS,
    RESULT_ENGINE,
    RESULT_ORDER,
    RESULT_PARTITION,
)

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["MIGRATIONS", "MIGRATION_COLUMNS", "V1_RESULT_COLUMNS", "AppliedMigration", "Migration",
           "Step", "applied", "migrate"]

log = logging.getLogger(__name__)

MIGRATION_COLUMNS = {"id": "UInt32", "name": "String", "checksum": "String",
                     "applied_at": "DateTime('UTC')"}

#: the results layout before migration 2 (one row per monitor, window, test and feature)
V1_RESULT_COLUMNS = {
    "monitor_id": "String", "model": "String", "window_start": "DateTime('UTC')",
    "window_end": "DateTime('UTC')", "reference_start": "DateTime('UTC')",
    "reference_end": "DateTime('UTC')", "test": "String", "feature": "String",
    "statistic": "Float64", "p_value": "Float64", "threshold": "Float64",
    "effect_size": "Float64", "drifted": "UInt8", "status": "String", "n_reference": "UInt64",
    "n_window": "UInt64", "details": "String", "run_ns": "UInt64",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement; skipped when the table ``unless_table`` exists."""

    sql: str
    unless_table: str | None = None


@dataclass(frozen=True, slots=True)
class Migration:
    id: int
    name: str
    steps: Callable[[Dialect], Sequence[Step]]

    @property
    def checksum(self) -> str:
        """sha256 of the name and the statements (rendered for a reference database)."""
        digest = hashlib.sha256(self.name.encode())
        for step in self.steps(Dialect("driftline")):
            digest.update(f"\n{step.sql}\n{step.unless_table or ''}".encode())
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    id: int
    name: str
    checksum: str
    applied_at: float


def _initial_tables(d: Dialect) -> list[Step]:
    return [
        Step(d.create_table("models", MODEL_COLUMNS, "ReplacingMergeTree()", ("name",))),
        Step(d.create_table("feature_schemas", SCHEMA_COLUMNS, "ReplacingMergeTree()",
                            ("model", "version"))),
        Step(d.create_table("labels", LABEL_COLUMNS, "ReplacingMergeTree(received_ns)",
                            ("model", "event_id"))),
        Step(d.create_table("results", V1_RESULT_COLUMNS, "ReplacingMergeTree(run_ns)",
                            ("model", "monitor_id", "test", "feature", "window_start"),
                            partition_by="toYYYYMM(window_start)")),
    ]


#: migration 2: an old row as a general record, column by column (RESULT_COLUMNS order)
_V1_AS_RECORD = {
    "monitor_id": "monitor_id", "kind": "'drift'", "model": "model",
    "window_start": "window_start", "window_end": "window_end", "subject": "feature",
    "metric": "test", "value": "statistic",
    "status": "multiIf(drifted = 1 OR status = 'drift', 'alert', status = 'no_drift', 'ok',"
              # details as the old code wrote them: json.dumps, so '"note": "...'
              " status = 'insufficient_data' AND match(details, '\"note\": ?\"reference'),"
              " 'reference_unavailable', status = 'insufficient_data', 'insufficient_data',"
              " 'error')",
    "reference_start": "reference_start", "reference_end": "reference_end",
    "threshold": "threshold", "lower": "nan", "upper": "nan", "p_value": "p_value",
    "effect_size": "effect_size", "n_reference": "n_reference", "n_window": "n_window",
    "label_keys": "emptyArrayString()", "label_values": "emptyArrayString()",
    "details": "details", "revision": "run_ns",
}


def _general_results(d: Dialect) -> list[Step]:
    # the old table is kept as results_v1 (a backup; drop it by hand once satisfied)
    assert list(_V1_AS_RECORD) == list(RESULT_COLUMNS)
    return [
        Step(d.rename_table("results", "results_v1"), unless_table="results_v1"),
        Step(d.drop_table("results")),  # a copy left half-done by an interrupted run
        Step(d.create_table("results", RESULT_COLUMNS, RESULT_ENGINE, RESULT_ORDER,
                            partition_by=RESULT_PARTITION)),
        Step(f"INSERT INTO {d.table('results')} ({', '.join(_V1_AS_RECORD)})"
             f" SELECT {', '.join(_V1_AS_RECORD.values())} FROM {d.table('results_v1')}"),
    ]


def _references_and_leases(d: Dialect) -> list[Step]:
    return [
        Step(d.create_table("reference_rows", REFERENCE_COLUMNS, "MergeTree()",
                            REFERENCE_ORDER)),
        Step(d.create_table("leases", LEASE_COLUMNS, "MergeTree()", LEASE_ORDER)),
    ]


def _feature_activity(d: Dialect) -> list[Step]:
    return [Step(d.create_table("feature_activity", ACTIVITY_COLUMNS, ACTIVITY_ENGINE,
                                ACTIVITY_ORDER))]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "models, feature schemas, labels and results", _initial_tables),
    Migration(2, "general result records (results_v1 copied in)", _general_results),
    Migration(3, "reference rows and leases", _references_and_leases),
    Migration(4, "feature activity (when each feature last had a value)", _feature_activity),
)


def applied(store: Store) -> list[AppliedMigration]:
    """The migrations recorded in the store, by id (none before the first ``migrate``)."""
    d = store.dialect
    if "schema_migrations" not in _tables(store):
        return []
    rows = store.backend.select(
        f"SELECT id, any(name) AS name, any(checksum) AS checksum,"
        f" toUnixTimestamp(min(applied_at)) AS applied_at FROM {d.table('schema_migrations')}"
        f" GROUP BY id ORDER BY id")
    return [AppliedMigration(int(i), str(n), str(c), float(a))
            for i, n, c, a in zip(rows["id"], rows["name"], rows["checksum"],
                                  rows["applied_at"], strict=True)]


def migrate(store: Store, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations the store lacks, in order; returns their ids."""
    d, backend = store.dialect, store.backend
    backend.execute(d.create_database())
    done = {m.id: m for m in applied(store)}
    known = {m.id: m for m in migrations}
    newest = max(done, default=0)
    if newest > max(known, default=0):
        raise StoreVersionError(
            f"the store {store.database} has migration {newest} ({done[newest].name!r}); this "
            f"driftline knows migrations up to {max(known, default=0)}: upgrade driftline")
    for m in done.values():
        if m.id in known and m.checksum != known[m.id].checksum:
            raise StoreVersionError(
                f"migration {m.id} ({m.name!r}) applied to {store.database} has checksum "
                f"{m.checksum[:12]}, this driftline's has {known[m.id].checksum[:12]}: the "
                "migration was changed after it ran (add a new migration instead)")
    backend.execute(d.create_table("schema_migrations", MIGRATION_COLUMNS, "MergeTree()",
                                   ("id",)))
    ran = []
    # a new store is no news; an upgrade of one with data is (INFO)
    level = logging.INFO if done or "models" in _tables(store) else logging.DEBUG
    for migration in sorted(migrations, key=lambda m: m.id):
        if migration.id in done:
            continue
        tables = _tables(store)
        if migration.id == 1 and "models" in tables:
            log.info("store %s predates migrations: recording its tables", store.database)
        for step in migration.steps(d):
            if step.unless_table is not None and step.unless_table in tables:
                continue
            backend.execute(step.sql)
        backend.insert(d.table("schema_migrations"),
                       {"id": [migration.id], "name": [migration.name],
                        "checksum": [migration.checksum], "applied_at": [time.time()]},
                       MIGRATION_COLUMNS)
        log.log(level, "store %s: applied migration %d (%s)", store.database, migration.id,
                migration.name)
        ran.append(migration.id)
    return ran


def _tables(store: Store) -> set[str]:
    return {str(n) for n in store.backend.select(store.dialect.tables())["name"]}

"""Storage on ClickHouse: embedded chDB by default, or a server (``clickhouse-driver``).

    Store                 one backend + one database; table groups as attributes:
      .events             models, feature schemas, events_<model> (events.py)
      .labels             labels, events joined with their labels (labels.py)
      .results            general result records, by revision (results.py)
      .references         stored training profiles (references.py)
      .leases             which worker runs what (leases.py)
      .dialect            every DDL statement (dialect.py)
      .migrate()          versioned migrations (migrations.py)
    Backend               the protocol: execute / select / insert / version / close
      ChdbBackend         chdb.py
      ClickHouseBackend   clickhouse.py
"""

from __future__ import annotations

from driftline.storage._backend import Backend, Capabilities, Column, Columns
from driftline.storage.chdb import ChdbBackend
from driftline.storage.clickhouse import ClickHouseBackend
from driftline.storage.dialect import Dialect, quote
from driftline.storage.events import Events, FeatureSchema, ModelInfo, feature_column
from driftline.storage.labels import Labels
from driftline.storage.leases import Lease, Leases
from driftline.storage.migrations import MIGRATIONS, AppliedMigration, Migration
from driftline.storage.references import DEFAULT_MAX_ROWS, References
from driftline.storage.results import ResultRecord, Results, ResultStatus
from driftline.storage.store import DEFAULT_DATABASE, Store, open_store

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_MAX_ROWS",
    "MIGRATIONS",
    "AppliedMigration",
    "Backend",
    "Capabilities",
    "ChdbBackend",
    "ClickHouseBackend",
    "Column",
    "Columns",
    "Dialect",
    "Events",
    "FeatureSchema",
    "Labels",
    "Lease",
    "Leases",
    "Migration",
    "ModelInfo",
    "References",
    "ResultRecord",
    "ResultStatus",
    "Results",
    "Store",
    "feature_column",
    "open_store",
    "quote",
]

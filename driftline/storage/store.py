"""The Store: one backend, one database, and its table groups.

    store = Store.chdb(".driftline/data")          # or Store.clickhouse("clickhouse://...")
    store.migrate()
    store.events.count("m1"); store.results.latest("m1"); store.leases.acquire(...)

Table groups: ``events`` (models, feature schemas, events), ``labels``, ``results``,
``references``, ``leases``; each builds its own queries, every DDL goes through
``store.dialect`` and every schema change through ``driftline.storage.migrations``.
"""

from __future__ import annotations

import os
from pathlib import Path

from driftline.errors import ConfigurationError, ValidationError
from driftline.storage import migrations
from driftline.storage._backend import Backend, Columns
from driftline.storage.dialect import Dialect
from driftline.storage.events import Events
from driftline.storage.labels import Labels
from driftline.storage.leases import Leases
from driftline.storage.references import References
from driftline.storage.results import Results

__all__ = ["DEFAULT_DATABASE", "Store", "open_store"]

DEFAULT_DATABASE = "driftline"


class Store:
    """Storage for events, labels, schemas, results, references and leases. Thread-safe.

    ``backend``: a :class:`~driftline.storage.Backend`; the store closes it. The engine's
    version is asked on first use, not here, so an unreachable server fails at the first
    query (``StoreUnavailableError``), not at construction.
    """

    def __init__(self, backend: Backend, database: str = DEFAULT_DATABASE) -> None:
        Dialect(database)  # validates the name now
        self.database = database
        self.backend = backend
        self._dialect: Dialect | None = None
        self.events = Events(self)
        self.labels = Labels(self)
        self.results = Results(self)
        self.references = References(self)
        self.leases = Leases(self)

    @classmethod
    def chdb(cls, path: str | os.PathLike[str], database: str = DEFAULT_DATABASE, *,
             max_readers: int = 4) -> Store:
        """A store on an embedded chDB data directory (one per process)."""
        from driftline.storage.chdb import ChdbBackend

        return cls(ChdbBackend(path, max_readers=max_readers), database)

    @classmethod
    def clickhouse(cls, url: str, database: str | None = None, *,
                   timeout_s: float = 30.0) -> Store:
        """A store on a server: ``clickhouse://user:password@host:9000/database``
        (``database`` overrides the URL's; neither: ``driftline``)."""
        from driftline.storage.clickhouse import ClickHouseBackend, url_database

        name = database or url_database(url) or DEFAULT_DATABASE
        return cls(ClickHouseBackend.from_url(url, timeout_s=timeout_s), name)

    def __repr__(self) -> str:
        return f"Store({self.backend!r}, {self.database!r})"

    @property
    def dialect(self) -> Dialect:
        """Builds this store's DDL (knows the engine's capabilities)."""
        if self._dialect is None:
            self._dialect = Dialect(self.database, self.backend.capabilities)
        return self._dialect

    def migrate(self) -> list[int]:
        """Create or upgrade the schema (see ``driftline.storage.migrations``); returns the
        ids of the migrations applied now (none when the store is current)."""
        return migrations.migrate(self)

    def ping(self) -> None:
        """Raise a StoreError unless the store answers a trivial query."""
        self.backend.select("SELECT 1 AS ok")

    def select(self, sql: str) -> Columns:
        """Run a read-only query of your own (e.g. a dashboard panel's SQL): a ``SELECT``
        or ``WITH`` statement; anything else is refused."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValidationError("store.select runs SELECT / WITH queries only", field="sql")
        return self.backend.select(sql)

    def drop_model(self, model: str) -> None:
        """Delete a model with its events, labels, results and stored references."""
        self.events.drop_model(model)
        self.labels.drop_model(model)
        self.results.drop_model(model)
        self.references.drop_model(model)

    def drop_database(self) -> None:
        """Delete the whole database (tests, throwaway stores)."""
        self.backend.execute(self.dialect.drop_database())
        self.events.forget_all()

    def close(self) -> None:
        """Close the backend. Idempotent."""
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(store: str = "chdb", *, data_dir: str | os.PathLike[str] = ".driftline/data",
               database: str | None = None, migrate: bool = True) -> Store:
    """Open (and by default migrate) ``"chdb"`` (embedded, in ``data_dir``) or a
    ``clickhouse://`` / ``clickhouses://`` URL."""
    opened: Store
    if store == "chdb":
        opened = Store.chdb(Path(data_dir), database or DEFAULT_DATABASE)
    elif store.startswith(("clickhouse://", "clickhouses://")):
        opened = Store.clickhouse(store, database)
    else:
        raise ConfigurationError(
            f"unknown store {store!r}: expected 'chdb' or a clickhouse://host:port/db URL")
    if migrate:
        try:
            opened.migrate()
        except Exception:
            opened.close()
            raise
    return opened

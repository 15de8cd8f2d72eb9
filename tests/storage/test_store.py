"""Store: construction, the table groups, whole-model deletes and open_store."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.errors import ConfigurationError, ValidationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultRecord, ResultStatus, Store, open_store
from tests.conftest import unique_database

T0 = 1_700_000_000


def test_store_answers_and_names_its_database(store: Store) -> None:
    store.ping()
    assert store.database.startswith("t_") and store.dialect.database == store.database
    assert repr(store).startswith("Store(")


def test_drop_model_deletes_everything_of_one_model(store: Store) -> None:
    Ingestor(store).ingest_events(
        [{"model": m, "event_id": "e", "timestamp": T0, "features": {"x": 1.0}}
         for m in ("gone", "kept")])
    Ingestor(store).ingest_labels([{"model": m, "event_id": "e", "label": 1}
                                   for m in ("gone", "kept")])
    store.results.insert([ResultRecord("mon-" + m, "drift", m, T0, T0 + 60, "*", "ks", 0.1,
                                       ResultStatus.OK) for m in ("gone", "kept")])
    for m in ("gone", "kept"):
        store.references.save(m, {"x": [1.0]})
    store.drop_model("gone")
    assert [m.name for m in store.events.list_models()] == ["kept"]
    assert store.events.count("gone") == 0 and store.references.version("gone") is None
    assert [r.model for r in store.results.read()] == ["kept"]
    assert store.labels.latest_received_ns("kept", T0, T0 + 1) is not None
    assert store.references.version("kept") is not None


def test_bad_database_name_is_refused(chdb_path: Path) -> None:
    with pytest.raises(ValidationError, match="plain identifier"):
        Store.clickhouse("clickhouse://h", database="no-dashes")


def test_open_store(chdb_store: Store, chdb_path: Path) -> None:
    database = unique_database()
    with open_store("chdb", data_dir=chdb_path, database=database) as store:
        assert store.migrate() == []  # open_store migrated it
        store.drop_database()
    with pytest.raises(ConfigurationError, match="unknown store"):
        open_store("postgres://x")


def test_settings_open_store_returns_the_store(chdb_store: Store, chdb_path: Path) -> None:
    from driftline.settings import Settings
    from driftline.settings import open_store as open_from_settings

    settings = Settings(store="chdb", data_dir=chdb_path, database=unique_database())
    with open_from_settings(settings) as store:
        assert isinstance(store, Store) and store.database == settings.database
        store.drop_database()


def test_select_runs_read_only_queries_only(chdb_store: Store) -> None:
    assert chdb_store.select("  select 1 AS one")["one"].tolist() == [1]
    assert chdb_store.select("WITH 2 AS two SELECT two")["two"].tolist() == [2]
    with pytest.raises(ValidationError, match="SELECT / WITH"):
        chdb_store.select(f"DROP DATABASE {chdb_store.database}")
    chdb_store.ping()  # still there

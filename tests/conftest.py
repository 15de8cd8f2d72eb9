"""Shared fixtures: real ClickHouse engines, isolated by database.

``store`` runs each test against embedded chDB and, for tests marked ``server``, against the
ClickHouse server at ``DRIFTLINE_TEST_CLICKHOUSE_URL`` (scripts/test.sh starts one).
One chDB data directory per test process (chDB holds one per process); tests get their own
database in it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftline.storage import Store

SERVER_URL_ENV = "DRIFTLINE_TEST_CLICKHOUSE_URL"


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


def unique_database() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def server_url() -> str:
    url = os.environ.get(SERVER_URL_ENV)
    if not url:
        pytest.fail(f"server tests need {SERVER_URL_ENV} (scripts/test.sh starts a server); "
                    "deselect them with -m 'not server'")
    return url


def open_test_store(kind: str, chdb_path: Path, *, migrate: bool = True) -> Store:
    """A store on a fresh database: embedded (``kind == "chdb"``) or on the test server."""
    if kind == "chdb":
        store = Store.chdb(chdb_path, database=unique_database())
    else:
        store = Store.clickhouse(server_url(), database=unique_database())
    if migrate:
        store.migrate()
    return store


@pytest.fixture(params=["chdb", pytest.param("server", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, chdb_path: Path) -> Iterator[Store]:
    s = open_test_store(request.param, chdb_path)
    yield s
    s.drop_database()
    s.close()


@pytest.fixture
def chdb_store(chdb_path: Path) -> Iterator[Store]:
    s = open_test_store("chdb", chdb_path)
    yield s
    s.drop_database()
    s.close()

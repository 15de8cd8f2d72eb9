from __future__ import annotations

import pytest

from driftline.errors import ConfigurationError, StoreUnavailableError
from driftline.ingest.clickhouse_store import ClickHouseStore


def test_dsn_parsing() -> None:
    store = ClickHouseStore.from_url("clickhouses://bob:p%40ss@db.example:9440/prod")
    params = store._params
    assert (params["host"], params["port"], params["user"], params["password"]) == (
        "db.example", 9440, "bob", "p@ss")
    assert params["secure"] is True and store.database == "prod"
    plain = ClickHouseStore.from_url("clickhouse://127.0.0.1?secure=false")
    assert plain._params["port"] == 9000 and plain._params["secure"] is False
    assert plain.database == "driftline"


def test_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="clickhouse://"):
        ClickHouseStore.from_url("postgres://x")


def test_unreachable_server_is_retryable_error() -> None:
    store = ClickHouseStore("127.0.0.1", 1, timeout_s=1.0)
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        store.migrate()
    store.close()

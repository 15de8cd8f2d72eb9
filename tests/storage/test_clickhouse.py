"""ClickHouseBackend: URLs and an unreachable server (the server contract runs in the
``store``-parametrized tests)."""

from __future__ import annotations

import pytest

from driftline.errors import ConfigurationError, StoreUnavailableError
from driftline.storage import ClickHouseBackend, Store
from driftline.storage.clickhouse import url_database


def test_url_parsing() -> None:
    params = ClickHouseBackend.from_url(
        "clickhouses://bob:p%40ss@db.example:9440/prod").connection_params
    assert (params["host"], params["port"], params["user"], params["password"]) == (
        "db.example", 9440, "bob", "p@ss")
    assert params["secure"] is True
    plain = ClickHouseBackend.from_url("clickhouse://127.0.0.1?secure=false").connection_params
    assert plain["port"] == 9000 and plain["secure"] is False
    assert url_database("clickhouse://h/prod") == "prod" and url_database("clickhouse://h") is None
    assert Store.clickhouse("clickhouse://h/prod").database == "prod"
    assert Store.clickhouse("clickhouse://h/prod", database="other").database == "other"
    assert Store.clickhouse("clickhouse://h").database == "driftline"


def test_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="clickhouse://"):
        ClickHouseBackend.from_url("postgres://x")


def test_unreachable_server_is_retryable_error() -> None:
    store = Store(ClickHouseBackend("127.0.0.1", 1, timeout_s=1.0))
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        store.migrate()
    store.close()

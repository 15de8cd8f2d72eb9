"""/healthz, /readyz, /metrics; the lifespan; the error mapping."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import driftline.api
from driftline.api import create_app
from driftline.errors import ConfigurationError, StoreError
from driftline.ingest.clickhouse_store import ClickHouseStore
from tests.api.conftest import TestClient, settings
from tests.conftest import unique_database


def test_exports() -> None:
    assert sorted(driftline.api.__all__) == ["create_app", "serve"]
    assert all(hasattr(driftline.api, name) for name in driftline.api.__all__)


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


def test_unreachable_server_is_503_with_retry_after() -> None:
    down = ClickHouseStore("127.0.0.1", 1, database="nothing", timeout_s=1.0)
    with TestClient(create_app(settings(), store=down)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "unreachable" in ready.json()["error"]
        models = client.get("/v1/models")
        assert models.status_code == 503
        assert models.headers["retry-after"] == "5"
        assert "127.0.0.1:1" in models.json()["error"]
    down.close()


def test_closed_store_is_not_ready(chdb_path: Path) -> None:
    from tests.conftest import open_test_store

    store = open_test_store("chdb", chdb_path)
    store.close()
    with TestClient(create_app(settings(), store=store)) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_lifespan_opens_and_closes_the_store(chdb_path: Path) -> None:
    app = create_app(settings(data_dir=chdb_path, database=unique_database()))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        store = app.state.store
        assert store is not None
        store._command(f"DROP DATABASE {store.database}")
    assert app.state.store is None


def test_domain_errors_map_to_statuses(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/boom/{kind}")
    def boom(kind: str) -> None:
        raise {"config": ConfigurationError("bad setting"), "store": StoreError("disk")}[kind]

    config = client.get("/boom/config")
    assert (config.status_code, config.json()) == (
        400,
        {"error": "bad setting", "field": None, "index": None},
    )
    assert client.get("/boom/store").status_code == 500

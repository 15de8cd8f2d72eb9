"""/healthz (alive), /readyz (the store answers) and /metrics (Prometheus text)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST

from driftline.api import create_app
from driftline.storage import ClickHouseBackend, Store
from tests.api.conftest import TestClient, metric_samples, settings


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert ready.json()["database"] == client.app.state.store.database  # type: ignore[attr-defined]


def test_metrics_is_prometheus_text(client: TestClient) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    names = {name for name, _ in metric_samples(response.text)}
    assert "driftline_http_requests_total" in names


def test_unreachable_server_is_503_with_retry_after() -> None:
    down = Store(ClickHouseBackend("127.0.0.1", 1, timeout_s=1.0), "nothing")
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

"""Router dependencies: each reads its own app's state, a store that is not open is a 503,
and ``Authenticated`` guards whatever router declares it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from driftline.api import create_app
from driftline.api.app import RETRY_AFTER_S
from driftline.api.deps import (
    Authenticated,
    IngestorDep,
    MetricsDep,
    SettingsDep,
    StoreDep,
)
from driftline.storage import Store
from tests.api.conftest import TestClient, settings


def _with_probe(app: FastAPI) -> FastAPI:
    """Add ``/probe``: which state objects the dependencies handed over."""

    @app.get("/probe")
    def probe(
        store: StoreDep, ingestor: IngestorDep, settings: SettingsDep, metrics: MetricsDep
    ) -> dict[str, Any]:
        state = app.state
        return {
            "store": store is state.store,
            "ingestor": ingestor is state.ingestor and ingestor.store is store,
            "settings": settings is state.settings,
            "metrics": metrics is state.metrics,
            "max_batch": settings.max_batch,
        }

    return app


def test_dependencies_hand_over_the_apps_own_state(store: Store) -> None:
    first = TestClient(_with_probe(create_app(settings(max_batch=7), store=store)))
    second = TestClient(_with_probe(create_app(settings(max_batch=9), store=store)))
    expected = {"store": True, "ingestor": True, "settings": True, "metrics": True}
    assert first.get("/probe").json() == {**expected, "max_batch": 7}
    assert second.get("/probe").json() == {**expected, "max_batch": 9}


def test_a_store_that_is_not_open_is_503_not_a_crash() -> None:
    app = create_app(settings())  # no store, and the lifespan never runs (no ``with``)

    @app.get("/needs-ingestor")
    def needs_ingestor(ingestor: IngestorDep) -> None:
        raise AssertionError("unreachable")

    client = TestClient(app)
    for path in ("/v1/models", "/needs-ingestor"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == str(RETRY_AFTER_S)
        assert response.json() == {
            "request_id": response.headers["x-request-id"],
            "error": "the store is not open (the service is starting or stopping)",
            "field": None,
            "index": None,
        }
    assert client.get("/healthz").status_code == 200


def test_authenticated_guards_a_router_that_declares_it(store: Store) -> None:
    app = create_app(settings(api_keys="k1"), store=store)
    guarded = APIRouter(prefix="/private", dependencies=[Authenticated])

    @guarded.get("")
    def private() -> dict[str, bool]:
        return {"ok": True}

    app.include_router(guarded)

    @app.get("/public")
    def public() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app)
    denied = client.get("/private")
    assert (denied.status_code, denied.json()["field"]) == (401, None)
    assert denied.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/private", headers={"X-API-Key": "k1"}).json() == {"ok": True}
    assert client.get("/public").json() == {"ok": True}

"""The app factory: exports, lifespan, the one domain-error handler, the error shape of
framework errors, and request metrics on the registry the caller passes."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

import driftline.api
import driftline.errors
from driftline import observability as names
from driftline.api import create_app
from driftline.api.app import RETRY_AFTER_S
from driftline.errors import (
    ConfigurationError,
    DataStateError,
    DriftlineError,
    NotFittedError,
    NotFoundError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    StoreVersionError,
    ValidationError,
)
from driftline.storage import Store
from tests.api.conftest import TestClient, sample, settings
from tests.conftest import unique_database

#: what each domain error becomes: status and the full body
DOMAIN_ERRORS: dict[str, tuple[DriftlineError, int, dict[str, object]]] = {
    "validation": (
        ValidationError("bad value", field="features.x", index=3),
        422,
        {"error": "bad value", "field": "features.x", "index": 3},
    ),
    "not_found": (
        NotFoundError("no model 'm9'", what="model", name="m9"),
        404,
        {"error": "no model 'm9'", "field": "model", "index": None},
    ),
    "data_state": (
        DataStateError("no events yet"),
        409,
        {"error": "no events yet", "field": None, "index": None},
    ),
    "configuration": (
        ConfigurationError("bad setting"),
        400,
        {"error": "bad setting", "field": None, "index": None},
    ),
    "unavailable": (
        StoreUnavailableError("server down"),
        503,
        {"error": "server down", "field": None, "index": None},
    ),
    # store errors carry SQL and server text: the client gets a uniform body, the log the rest
    "store": (StoreError("Code: 47. DB::Exception: Unknown expression identifier f_x"), 500,
              {"error": "internal store error", "field": None, "index": None}),
    "locked": (StoreLockedError("held"), 500,
               {"error": "internal store error", "field": None, "index": None}),
    "version": (
        StoreVersionError("too new"),
        500,
        {"error": "internal store error", "field": None, "index": None},
    ),
    "not_fitted": (
        NotFittedError("fit first"),
        500,
        {"error": "internal error", "field": None, "index": None},
    ),
    "base": (DriftlineError("oops"), 500, {"error": "internal error", "field": None,
                                           "index": None}),
}


@pytest.fixture
def raising_client(store: Store) -> TestClient:
    """A client on an app with a throwaway route ``/boom/{kind}`` raising DOMAIN_ERRORS[kind]."""
    app = create_app(settings(), store=store)

    @app.get("/boom/{kind}")
    def boom(kind: str) -> None:
        raise DOMAIN_ERRORS[kind][0]

    return TestClient(app)


def test_exports() -> None:
    assert sorted(driftline.api.__all__) == ["create_app", "serve"]
    assert all(hasattr(driftline.api, name) for name in driftline.api.__all__)


@pytest.mark.parametrize("kind", DOMAIN_ERRORS)
def test_domain_errors_map_to_statuses(raising_client: TestClient, kind: str) -> None:
    _, status, body = DOMAIN_ERRORS[kind]
    response = raising_client.get(f"/boom/{kind}")
    answer = response.json()
    assert answer.pop("request_id") == response.headers["x-request-id"]
    assert (response.status_code, answer) == (status, body)
    retry_after = response.headers.get("retry-after")
    assert retry_after == (str(RETRY_AFTER_S) if kind == "unavailable" else None)


def test_the_statuses_documented_in_errors_are_the_real_ones() -> None:
    doc = driftline.errors.__doc__ or ""
    documented = dict(re.findall(r"(\w+Error) (\d{3})", doc[doc.index("HTTP statuses"):]))
    real = {type(exc).__name__: str(status) for exc, status, _ in DOMAIN_ERRORS.values()}
    assert len(documented) >= 5
    assert documented == {name: real[name] for name in documented}


def test_errors_that_are_not_ours_are_not_swallowed(store: Store) -> None:
    app = create_app(settings(), store=store)

    @app.get("/bug")
    def bug() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError, match="a bug"):
        TestClient(app).get("/bug")
    assert TestClient(app, raise_server_exceptions=False).get("/bug").status_code == 500


def test_unknown_route_and_method_have_the_error_shape(client: TestClient) -> None:
    missing = client.get("/v2/nothing")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "Not Found", "field": None, "index": None,
         "request_id": missing.headers["x-request-id"]},
    )
    wrong_method = client.delete("/healthz")
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"error": "Method Not Allowed", "field": None, "index": None,
         "request_id": wrong_method.headers["x-request-id"]},
    )
    assert "GET" in wrong_method.headers["allow"]  # HTTPException headers pass through


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": "many"}, "limit"), ({"order": "sideways"}, "order")],
)
def test_request_validation_is_422_naming_the_field(
    client: TestClient, params: dict[str, object], field: str
) -> None:
    response = client.get("/v1/models/m1/events", params=params)
    body = response.json()
    assert (response.status_code, body["field"], body["index"]) == (422, field, None)
    assert body["error"]


def test_nested_request_fields_are_dotted(store: Store) -> None:
    app = create_app(settings(), store=store)

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    client = TestClient(app)
    assert client.get("/items/7").json() == {"item_id": 7}
    response = client.get("/items/seven")
    assert (response.status_code, response.json()["field"]) == (422, "item_id")


def test_lifespan_opens_and_closes_the_store(chdb_path: Path) -> None:
    app = create_app(settings(data_dir=chdb_path, database=unique_database()))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        store = app.state.store
        assert store is not None
        store.drop_database()
    assert app.state.store is None


def test_a_store_passed_in_stays_open(store: Store) -> None:
    with TestClient(create_app(settings(), store=store)) as client:
        assert client.get("/readyz").json()["database"] == store.database
    store.ping()  # the caller owns it: not closed by the app


def test_a_store_that_cannot_open_fails_startup_and_is_kept() -> None:
    app = create_app(settings(store="clickhouse://127.0.0.1:1/nothing"))
    with pytest.raises(StoreError), TestClient(app):
        pass
    assert isinstance(app.state.startup_error, StoreError)
    assert app.state.store is None


def test_requests_are_counted_on_the_registry_passed_in(store: Store) -> None:
    registry = CollectorRegistry()
    client = TestClient(create_app(settings(), store=store, registry=registry))
    client.get("/healthz")
    client.get("/healthz")
    client.get("/v1/models/m1/schemas")  # 404: no such model
    client.get("/no/such/route")
    text = generate_latest(registry).decode()
    total = names.HTTP_REQUESTS_TOTAL
    assert sample(text, total, method="GET", route="/healthz", status="200") == 2
    route = "/v1/models/{model}/schemas"
    assert sample(text, total, method="GET", route=route, status="404") == 1
    assert sample(text, total, method="GET", route="unmatched", status="404") == 1
    assert sample(text, f"{names.HTTP_REQUEST_DURATION_SECONDS}_count", route="/healthz") == 2
    assert "process_cpu_seconds_total" not in text  # process metrics only on the default one


def test_each_app_has_its_own_default_registry(store: Store) -> None:
    first = TestClient(create_app(settings(), store=store))
    second = TestClient(create_app(settings(), store=store))
    first.get("/healthz")
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    assert sample(first.get("/metrics").text, names.HTTP_REQUESTS_TOTAL, **labels) == 1
    assert sample(second.get("/metrics").text, names.HTTP_REQUESTS_TOTAL, **labels) == 0
    assert "process_cpu_seconds_total" in first.get("/metrics").text


# -- request ids, store errors kept from clients, offline docs (issue 7) ------------------
def test_store_errors_reach_the_log_with_the_request_id_not_the_client(
    raising_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="driftline.api"):
        response = raising_client.get("/boom/store", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal store error", "field": None, "index": None,
                               "request_id": "req-42"}
    assert "DB::Exception" not in response.text
    logged = [r for r in caplog.records if "req-42" in r.getMessage()]
    assert logged and "DB::Exception" in logged[0].getMessage()


def test_a_real_store_failure_answers_json_without_sql(store: Store) -> None:
    client = TestClient(create_app(settings(), store=store), raise_server_exceptions=False)
    client.post("/v1/events", json={"events": [{"model": "m", "event_id": "a",
                                                "timestamp": 1_700_000_000,
                                                "features": {"x": 1.0}}]})
    store.backend.execute(f"DROP TABLE {store.dialect.table('events_m')}")  # behind its back
    response = client.get("/v1/models/m/events")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal store error" and body["request_id"]
    assert "SELECT" not in response.text and "events_m" not in response.text


@pytest.mark.parametrize("given", ["abc-123", "A.b_c-9" * 9])
def test_a_sane_request_id_is_echoed(client: TestClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize("given", ["", "x" * 129, "a b", "a;b", "a/b", "<script>"])
def test_an_insane_request_id_is_replaced(client: TestClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    generated = response.headers["x-request-id"]
    assert generated != given and re.fullmatch(r"[0-9a-f]{32}", generated)


def test_every_response_has_a_request_id(client: TestClient) -> None:
    ids = {client.get(path).headers["x-request-id"]
           for path in ("/healthz", "/v2/nothing", "/v1/models", "/openapi.json")}
    assert len(ids) == 4


def test_unexpected_errors_are_json_with_the_request_id(store: Store) -> None:
    app = create_app(settings(), store=store)

    @app.get("/bug")
    def bug() -> None:
        raise KeyError("secret internals")

    response = TestClient(app, raise_server_exceptions=False).get(
        "/bug", headers={"X-Request-ID": "r1"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error", "field": None, "index": None,
                               "request_id": "r1"}
    assert response.headers["x-request-id"] == "r1"


def test_docs_are_served_from_bundled_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    assert not [u for u in urls if re.match(r"(?:https?:)?//", u)], urls
    assert "cdn" not in page.text.lower()
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
    assert client.get("/redoc").status_code == 404  # ReDoc would load its script from a CDN

"""The app factory: ``create_app(settings)`` builds the service; nothing does I/O at import.

The store is opened (and migrated) in the lifespan and closed when the app stops, unless the
caller passes one in (then the caller owns it and the app works without a lifespan, which is
what tests do). Domain errors become HTTP responses in one handler (``_domain_error``); every
error body has the same shape, ``{"error": ..., "field": ..., "index": ..., "request_id": ...}``.
A store error or a bug answers a uniform 500 (no SQL or server text reaches a client); the
details go to the ``driftline.api`` log under the request id, which every response carries
in ``X-Request-ID`` (the client's own when it is sane, else a generated one).

``/docs`` is Swagger UI from the assets of the ``swagger-ui-bundle-v2`` package, served by
the app itself, so the docs work offline (FastAPI's default loads them from a CDN).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftline.api.routers import health, ingest, models, results
from driftline.engine.scheduler import Scheduler
from driftline.engine.worker import scheduler_for
from driftline.errors import (
    ConfigurationError,
    DataStateError,
    DriftlineError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
    ValidationError,
)
from driftline.ingest.events import IngestLimits
from driftline.ingest.validation import MODEL_NAME_RULE
from driftline.ingest.writer import Ingestor
from driftline.observability import EngineMetrics, Metrics
from driftline.settings import Settings, get_settings, open_store
from driftline.storage import Store

__all__ = ["DOCS_ASSETS", "REQUEST_ID_HEADER", "RETRY_AFTER_S", "BodyLimit", "RequestId",
           "RequestMetrics", "create_app"]

#: seconds a client should wait before retrying when the store is unreachable
RETRY_AFTER_S = 5
#: the header a request id travels in, both ways
REQUEST_ID_HEADER = "X-Request-ID"
#: where the app serves the Swagger UI assets it ships
DOCS_ASSETS = "/docs/assets"
_SANE_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._\-]{1,128}\Z")
_log = logging.getLogger("driftline.api")


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """The driftline service. ``store``: use this open store (not closed by the app);
    ``registry``: where the service metrics go (default: a new registry for this app, which
    also carries process metrics)."""
    settings = settings or get_settings()
    if registry is None:
        registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            yield
            return
        try:
            opened = await run_in_threadpool(open_store, settings)
        except Exception as exc:
            app.state.startup_error = exc  # serve() re-raises it with its own message
            raise
        _attach(app, opened)
        scheduler = _start_scheduler(settings, opened, app.state.engine_metrics)
        try:
            yield
        finally:
            if scheduler is not None:
                await run_in_threadpool(scheduler.stop)
            app.state.store = None
            await run_in_threadpool(opened.close)

    app = FastAPI(
        title="driftline",
        version="0.1.0",
        lifespan=lifespan,
        summary="Drift detection and observability for ML models in production",
        docs_url=None,  # served below from bundled assets, not a CDN
        redoc_url=None,  # ReDoc has no bundled assets: it would load its script from a CDN
    )
    app.state.settings = settings
    app.state.metrics = Metrics(registry)
    app.state.engine_metrics = EngineMetrics(registry)
    app.state.store = None
    app.state.startup_error = None
    if store is not None:
        _attach(app, store)

    # routers carry their full prefix (and auth), so a route's path is the metrics label
    for router in (health.router, ingest.router, models.router, results.router):
        app.include_router(router)
    app.add_exception_handler(DriftlineError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(Exception, _unexpected_error)
    # the last added is the outermost: the request id is known to everything inside it
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    app.add_middleware(RequestId)
    _add_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = ingest.add_body_schemas(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _start_scheduler(settings: Settings, store: Store, metrics: EngineMetrics
                     ) -> Scheduler | None:
    """Run the monitors of ``settings.monitors`` in a background thread of the service (the
    embedded store belongs to this process, so the scheduler lives here too). With a
    ClickHouse server, ``inprocess_worker=False`` leaves it to ``driftline worker``
    processes; leases make both safe together."""
    if settings.monitors is None or not settings.inprocess_worker:
        return None
    scheduler = scheduler_for(settings, store, metrics)
    scheduler.start(settings.schedule_s)
    return scheduler


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs``, its scripts and styles from the installed package."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def _attach(app: FastAPI, store: Store) -> None:
    app.state.store = store
    settings: Settings = app.state.settings
    app.state.ingestor = Ingestor(
        store, time_bounds=settings.time_bounds,
        limits=IngestLimits(max_features=settings.max_features,
                            max_string_length=settings.max_string_length))


def _error(
    request_id: str | None,
    status: int,
    message: str,
    field: str | None = None,
    index: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "field": field, "index": index, "request_id": request_id},
        status_code=status, headers=headers,
    )


def _request_id(scope: Scope) -> str | None:
    state = scope.get("state")
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    """The one place where driftline's exceptions get their HTTP status."""
    rid = _request_id(request.scope)
    if isinstance(exc, ValidationError):
        return _error(rid, 422, exc.message, exc.field, exc.index)
    if isinstance(exc, NotFoundError):
        return _error(rid, 404, exc.message, exc.what)
    if isinstance(exc, DataStateError):
        return _error(rid, 409, str(exc))
    if isinstance(exc, StoreUnavailableError):
        return _error(rid, 503, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, ConfigurationError):
        return _error(rid, 400, str(exc))
    # the text of a store error is the engine's (SQL, table names): for the log only
    what = "internal store error" if isinstance(exc, StoreError) else "internal error"
    _log.error("%s (request %s, %s %s): %s", what, rid, request.method, request.url.path, exc,
               exc_info=exc)
    return _error(rid, 500, what)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the same uniform 500 (Starlette logs the traceback and re-raises it)."""
    rid = _request_id(request.scope)
    _log.error("internal error (request %s, %s %s): %r", rid, request.method,
               request.url.path, exc)
    headers = {REQUEST_ID_HEADER: rid} if rid else None
    return _error(rid, 500, "internal error", headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return _error(_request_id(request.scope), exc.status_code, str(exc.detail),
                  headers=exc.headers)


async def _request_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's parameter validation, in the same shape: the first error names the field."""
    assert isinstance(exc, RequestValidationError)
    first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    message = str(first.get("msg", "invalid request"))
    if loc == ["model"]:
        message = f"expected a model name of {MODEL_NAME_RULE}, got {first.get('input')!r}"
    return _error(_request_id(request.scope), 422, message, ".".join(loc) or None)


class RequestId:
    """Gives each request an id: the client's ``X-Request-ID`` when it is sane (1-128 of
    letters, digits, '.', '_', '-'), else a new one; kept in ``scope["state"]`` for the
    error bodies and the log, and echoed in every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                      if k.lower() == b"x-request-id"), "")
        rid = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        header = (REQUEST_ID_HEADER.lower().encode(), rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ())
                           if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413: at once when ``Content-Length``
    says so (nothing is read), else as soon as the streamed (chunked) body passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> HTTPException:
        return HTTPException(
            413, f"the request body of {size} exceeds the limit of {self.max_bytes} bytes "
            "(DRIFTLINE_MAX_BODY_BYTES): split the batch")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope.get("headers", ()) if k.lower() == b"content-length"),
                      None)
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            exc = self._too_large(f"{int(length)} bytes")
            response = _error(_request_id(scope), 413, str(exc.detail))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large(f"more than {received} bytes")
            return message

        await self.app(scope, counting_receive, send)


class RequestMetrics:
    """Counts requests and times them by route template (``/v1/models/{model}``), so paths
    with ids do not create a series each; requests that match no route count as ``unmatched``.
    A plain ASGI middleware: no body buffering, no per-request task."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(
                scope["method"], route, status, time.perf_counter() - start
            )

"""The app factory: ``create_app(settings)`` builds the service; nothing does I/O at import.

The store is opened (and migrated) in the lifespan and closed when the app stops, unless the
caller passes one in (then the caller owns it and the app works without a lifespan, which is
what tests do). Domain errors become HTTP responses in one handler (``_domain_error``); every
error body has the same shape, ``{"error": ..., "field": ..., "index": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
from driftline.ingest.writer import Ingestor
from driftline.observability import EngineMetrics, Metrics
from driftline.settings import Settings, get_settings, open_store
from driftline.storage import Store

__all__ = ["RETRY_AFTER_S", "RequestMetrics", "create_app"]

#: seconds a client should wait before retrying when the store is unreachable
RETRY_AFTER_S = 5


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
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)

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


def _attach(app: FastAPI, store: Store) -> None:
    app.state.store = store
    app.state.ingestor = Ingestor(store)


def _error(
    status: int,
    message: str,
    field: str | None = None,
    index: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "field": field, "index": index}, status_code=status, headers=headers
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    """The one place where driftline's exceptions get their HTTP status."""
    if isinstance(exc, ValidationError):
        return _error(422, exc.message, exc.field, exc.index)
    if isinstance(exc, NotFoundError):
        return _error(404, exc.message, exc.what)
    if isinstance(exc, DataStateError):
        return _error(409, str(exc))
    if isinstance(exc, StoreUnavailableError):
        return _error(503, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, StoreError):
        return _error(500, str(exc))
    if isinstance(exc, ConfigurationError):
        return _error(400, str(exc))
    return _error(500, str(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail), headers=exc.headers)


async def _request_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's parameter validation, in the same shape: the first error names the field."""
    assert isinstance(exc, RequestValidationError)
    first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    return _error(422, str(first.get("msg", "invalid request")), ".".join(loc) or None)


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

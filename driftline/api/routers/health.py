"""Open endpoints for orchestrators and Prometheus: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from driftline.api.deps import MetricsDep
from driftline.storage import Store

__all__ = ["healthz", "metrics", "readyz", "router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The store answers a trivial query (503 otherwise)",
    responses={503: {"description": "the store is not open or does not answer"}},
)
def readyz(request: Request) -> JSONResponse:
    store: Store | None = request.app.state.store
    if store is None:
        return JSONResponse({"status": "unavailable", "error": "the store is not open"}, 503)
    try:
        store.ping()
    except Exception as exc:  # a probe answers 503 whatever went wrong, never 500
        return JSONResponse({"status": "unavailable", "error": str(exc)}, 503)
    return JSONResponse({"status": "ready", "database": store.database})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(metrics: MetricsDep) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

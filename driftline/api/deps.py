"""Dependencies the routers declare: ``def endpoint(store: StoreDep, ...)``.

Everything lives on ``app.state`` (set by ``create_app`` / its lifespan), so an app is
self-contained and tests can run several side by side.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from driftline.api.auth import require_api_key
from driftline.errors import StoreUnavailableError
from driftline.ingest.writer import Ingestor
from driftline.observability import Metrics
from driftline.settings import Settings
from driftline.storage import Store

__all__ = [
    "Authenticated",
    "IngestorDep",
    "MetricsDep",
    "SettingsDep",
    "StoreDep",
    "get_ingestor",
    "get_metrics",
    "get_settings",
    "get_store",
]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:  # lifespan not run (or failed): say so instead of an AttributeError
        raise StoreUnavailableError("the store is not open (the service is starting or stopping)")
    return store


def get_ingestor(request: Request, store: Annotated[Store, Depends(get_store)]) -> Ingestor:
    ingestor: Ingestor = request.app.state.ingestor
    return ingestor


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
IngestorDep = Annotated[Ingestor, Depends(get_ingestor)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
#: put on a router: ``APIRouter(dependencies=[Authenticated])``
Authenticated = Depends(require_api_key)

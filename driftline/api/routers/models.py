"""``/v1/models``: registered models, their feature-schema versions and their raw events."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status

from driftline.api.deps import Authenticated, StoreDep
from driftline.api.params import End, Start
from driftline.api.schemas import (
    ErrorOut,
    EventsOut,
    FeatureRemovalIn,
    ModelOut,
    SchemaVersionOut,
)
from driftline.errors import ValidationError
from driftline.ingest.validation import MODEL_NAME_PATTERN, MODEL_NAME_RULE
from driftline.storage import FeatureSchema, Store

__all__ = [
    "DEFAULT_EVENT_COLUMNS",
    "MAX_EVENTS",
    "ModelPath",
    "list_models",
    "read_events",
    "remove_features",
    "router",
    "schema_versions",
]

router = APIRouter(
    prefix="/v1/models",
    dependencies=[Authenticated],
    tags=["models"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)

#: the ``{model}`` of a path, with the rule the store checks it by
ModelPath = Annotated[str, Path(pattern=MODEL_NAME_PATTERN, max_length=64,
                                description=MODEL_NAME_RULE)]

#: event columns returned by default, besides every feature
DEFAULT_EVENT_COLUMNS = ("ts", "event_id", "prediction")
MAX_EVENTS = 100_000
_JSON_COLUMNS = ("tags", "prediction_probs")


def _require_model(store: Store, model: str) -> None:
    if store.events.current_schema(model) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model!r} (nothing ingested)")


@router.get("", response_model=list[ModelOut], summary="Models that have received events")
def list_models(store: StoreDep) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "created_at": m.created_at,
            "schema_version": m.schema_version,
            "n_features": m.n_features,
        }
        for m in store.events.list_models()
    ]


@router.get(
    "/{model}/schemas",
    response_model=list[SchemaVersionOut],
    summary="Feature-schema versions of a model, oldest first",
)
def schema_versions(model: ModelPath, store: StoreDep) -> list[dict[str, Any]]:
    _require_model(store, model)
    return [_schema_out(s) for s in store.events.schema_versions(model)]


@router.post(
    "/{model}/schemas/removals",
    response_model=SchemaVersionOut,
    summary="Declare features removed (a planned schema change): a new schema version",
    description="The features' columns and history are kept; a value sent later adds a feature "
    "again. Features already removed are ignored; one that never existed is a 404.",
)
def remove_features(model: ModelPath, body: FeatureRemovalIn, store: StoreDep) -> dict[str, Any]:
    _require_model(store, model)
    return _schema_out(store.events.remove_features(model, body.features))


def _schema_out(s: FeatureSchema) -> dict[str, Any]:
    return {
        "version": s.version,
        "features": {k: v.value for k, v in s.features.items()},
        "added": list(s.added),
        "removed": list(s.removed),
        "created_at": s.created_at,
    }


@router.get(
    "/{model}/events",
    response_model=EventsOut,
    summary="Raw events of a model in a time window (oldest first, or newest first)",
)
def read_events(
    model: ModelPath,
    store: StoreDep,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 1000,
    columns: Annotated[
        str | None,
        Query(
            description="comma-separated feature or event columns (default: ts, event_id,"
            " prediction and every feature)"
        ),
    ] = None,
    order: Annotated[
        Literal["asc", "desc"],
        Query(description="asc: oldest first; desc: newest first, so `limit` keeps the latest"),
    ] = "asc",
) -> dict[str, Any]:
    _require_model(store, model)
    if columns is None:
        names = [*DEFAULT_EVENT_COLUMNS, *store.events.known_kinds(model)]
    else:
        names = list(dict.fromkeys(c.strip() for c in columns.split(",") if c.strip()))
        if not names:
            raise ValidationError("name at least one column", field="columns")
    data = store.events.read(model, names, start, end, limit=limit + 1,
                             newest_first=order == "desc")
    n = len(data[names[0]]) if names else 0
    rows = [{name: _plain(name, data[name][i]) for name in names} for i in range(min(n, limit))]
    return {"model": model, "columns": names, "rows": rows, "truncated": n > limit}


def _plain(column: str, value: Any) -> Any:
    """A JSON-ready value: NaN -> None, numpy scalars -> Python, JSON columns decoded."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if column in _JSON_COLUMNS and isinstance(value, str):
        return json.loads(value) if value else None
    return value

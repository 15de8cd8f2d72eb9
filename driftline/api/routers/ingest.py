"""``POST /v1/events`` and ``POST /v1/labels``: store a batch, report each rejected item.

Events come as a list of objects (``"events"``) or, for large batches, column by column
(``"columns"``, see ``driftline.ingest.columnar``: validated with numpy, several times
faster), in JSON or in the binary columnar format (content type ``BINARY_CONTENT_TYPE``:
numeric columns as raw float64 buffers, what the SDK sends). The body is read raw and parsed
with orjson (about 2x faster than the stdlib on a 50k-event batch), off the event loop
together with validation and the store insert, so a large batch never stalls other requests.
Only the envelope is validated here; items are validated by the Ingestor, one rejection per
bad item, never the whole batch.

``NaN``, ``Infinity`` and ``-Infinity`` tokens (what Python's ``json.dumps`` writes by default)
are not JSON, and orjson refuses them; a body that has them is parsed again by the standard
library, and then must still be what orjson can represent (no lone surrogates, no integers
past 64 bits). ``NaN`` is a missing value; an infinite number rejects its event, naming the
field, like any other bad value.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import orjson
import pydantic
from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from driftline.api.deps import Authenticated, IngestorDep, MetricsDep, SettingsDep
from driftline.api.schemas import ErrorOut, EventsIn, IngestOut, LabelsIn
from driftline.errors import ValidationError
from driftline.ingest.columnar import column_length
from driftline.ingest.validation import MODEL_NAME_RULE
from driftline.ingest.writer import Ingestor, IngestReport
from driftline.observability import Metrics
from driftline.settings import Settings
from driftline.wire import BINARY_CONTENT_TYPE, decode_binary

__all__ = ["add_body_schemas", "parse_envelope", "post_events", "post_labels", "router"]

router = APIRouter(prefix="/v1", tags=["ingest"], dependencies=[Authenticated])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or invalid API key"},
    413: {"model": ErrorOut, "description": "more items than DRIFTLINE_MAX_BATCH, or a body "
                                            "larger than DRIFTLINE_MAX_BODY_BYTES"},
    422: {"model": ErrorOut, "description": "the envelope is malformed"},
}
Envelope = TypeVar("Envelope", EventsIn, LabelsIn)


def _body(model: type[Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def add_body_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """Register the envelopes the ingest routes parse themselves in the OpenAPI components."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for model in (EventsIn, LabelsIn):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return openapi


def parse_envelope(raw: bytes, model: type[Envelope], *, binary: bool = False) -> Envelope:
    """The request envelope, or a ValidationError naming the first bad field. ``binary``: the
    body is the binary columnar format (``BINARY_CONTENT_TYPE``)."""
    data = decode_binary(raw) if binary else _loads(raw)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        if first["loc"] == ("model",) and first["type"].startswith("string_"):
            message = f"expected a model name of {MODEL_NAME_RULE}, got {first['input']!r}"
        else:
            message = f"{first['msg']} (got {type(first['input']).__name__})"
        raise ValidationError(message, field=field) from None


def _loads(raw: bytes) -> Any:
    """JSON with orjson, or, for a body with NaN / Infinity tokens, the standard library's
    parse held to what orjson accepts otherwise (see the module docstring)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        error = exc
    if b"NaN" in raw or b"Infinity" in raw:
        try:
            data = json.loads(raw)
            orjson.dumps(data)  # lone surrogates, integers past 64 bits: as orjson refuses them
        except (ValueError, TypeError, RecursionError):
            pass
        else:
            return data
    raise ValidationError(f"the body is not valid JSON: {error}", field="")


def _check_size(n: int, settings: Settings, what: str) -> None:
    if n > settings.max_batch:
        raise HTTPException(
            413,  # Content Too Large (its status constant was renamed across Starlette versions)
            f"{n} {what} exceed the limit of {settings.max_batch} per request "
            "(DRIFTLINE_MAX_BATCH): split the batch",
        )


def _ingest_events(
    raw: bytes, ingestor: Ingestor, settings: Settings, metrics: Metrics, binary: bool = False
) -> IngestReport:
    body = parse_envelope(raw, EventsIn, binary=binary)
    if (body.events is None) == (body.columns is None):
        raise ValidationError(
            "send either `events` (a list of events) or `columns` (arrays of one model), "
            "not " + ("both" if body.events is not None else "neither"),
            field="columns" if body.events is not None else "events")
    n_rows: int | None = None
    if body.columns is not None:
        if body.model is None:
            raise ValidationError("`columns` need the envelope's `model`: a model name of "
                                  + MODEL_NAME_RULE, field="model")
        n_rows = column_length(body.columns)
    _check_size(len(body.events) if body.events is not None else n_rows or 0, settings, "events")
    try:
        if body.events is not None:
            report = ingestor.ingest_events(body.events, default_model=body.model)
        else:
            assert body.model is not None and body.columns is not None
            report = ingestor.ingest_columns(body.model, body.columns)
    except ValidationError:
        _count_drops(body, metrics)  # the client will not send this batch (and report) again
        raise
    # counted once the batch is stored: after a store error the client retries the batch and
    # reports these drops again
    _count_drops(body, metrics)
    metrics.count_ingested(
        "events",
        accepted=report.accepted,
        rejected_fields=[r.field for r in report.rejected],
        schema_changes=len(report.schema_changes),
    )
    return report


def _count_drops(body: EventsIn, metrics: Metrics) -> None:
    if body.client is not None:
        metrics.count_sdk_dropped(body.client.dropped)


def _ingest_labels(
    raw: bytes, ingestor: Ingestor, settings: Settings, metrics: Metrics
) -> IngestReport:
    body = parse_envelope(raw, LabelsIn)
    _check_size(len(body.labels), settings, "labels")
    report = ingestor.ingest_labels(body.labels)
    metrics.count_ingested(
        "labels", accepted=report.accepted, rejected_fields=[r.field for r in report.rejected]
    )
    return report


@router.post(
    "/events",
    response_model=IngestOut,
    responses=_ERRORS,
    openapi_extra=_body(EventsIn),
    summary="Store a batch of prediction events",
)
async def post_events(
    request: Request, ingestor: IngestorDep, settings: SettingsDep, metrics: MetricsDep
) -> dict[str, Any]:
    raw = await request.body()
    binary = request.headers.get("content-type", "").startswith(BINARY_CONTENT_TYPE)
    report = await run_in_threadpool(_ingest_events, raw, ingestor, settings, metrics, binary)
    return report.as_dict()


@router.post(
    "/labels",
    response_model=IngestOut,
    responses=_ERRORS,
    openapi_extra=_body(LabelsIn),
    summary="Store natural labels of earlier events",
)
async def post_labels(
    request: Request, ingestor: IngestorDep, settings: SettingsDep, metrics: MetricsDep
) -> dict[str, Any]:
    raw = await request.body()
    report = await run_in_threadpool(_ingest_labels, raw, ingestor, settings, metrics)
    return report.as_dict()

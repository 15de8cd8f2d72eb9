"""``/v1/results``: stored monitor results (one record per monitor, window, subject and
metric; the latest revision of each window)."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query

from driftline.api.deps import Authenticated, StoreDep
from driftline.api.params import End, Start
from driftline.api.schemas import ErrorOut, ResultsOut
from driftline.storage import ResultRecord, ResultStatus

__all__ = ["read_results", "router"]

router = APIRouter(
    prefix="/v1/results",
    dependencies=[Authenticated],
    tags=["results"],
    responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get(
    "",
    response_model=ResultsOut,
    summary="Results whose window lies in [start, end], oldest window first",
)
def read_results(
    store: StoreDep,
    model: str | None = None,
    monitor_id: str | None = None,
    start: Start = None,
    end: End = None,
    subject: Annotated[
        str | None, Query(description='a feature, a slice, or "*" for the whole model')
    ] = None,
    kind: Annotated[str | None, Query(description="the monitor kind, e.g. drift")] = None,
    status: ResultStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    records = store.results.read(model, monitor_id, start, end, subject=subject, kind=kind,
                                 status=status, limit=limit)
    return {"results": [_finite(_plain(record)) for record in records]}


def _plain(record: ResultRecord) -> dict[str, Any]:
    out = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    out["status"] = str(record.status)
    out["labels"], out["details"] = dict(record.labels), dict(record.details)
    return out


def _finite(value: Any) -> Any:
    """NaN and infinities become None (JSON has neither), at any depth."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value

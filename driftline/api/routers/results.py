"""``/v1/results``: stored monitor results (one row per monitor, window, test and feature)."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query

from driftline.api.deps import Authenticated, StoreDep
from driftline.api.params import End, Start
from driftline.api.schemas import ErrorOut, ResultsOut

__all__ = ["router"]

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
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    rows = store.read_results(model, monitor_id, start, end, limit=limit)
    return {"results": [_finite(dataclasses.asdict(row)) for row in rows]}


def _finite(value: Any) -> Any:
    """NaN and infinities become None (JSON has neither), at any depth."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value

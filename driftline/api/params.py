"""Query parameters shared by the read routes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

__all__ = ["End", "Start", "to_epoch"]


def to_epoch(value: Any) -> float | None:
    """Epoch seconds from epoch seconds (number or numeric string) or ISO-8601 (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(
                    f"expected epoch seconds or an ISO-8601 time, got {text!r}"
                ) from None
            number = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    if not math.isfinite(number):
        raise ValueError(f"expected a finite time, got {value!r}")
    return number


_TIME = "epoch seconds or ISO-8601 (UTC when no offset is given)"
Start = Annotated[
    float | None, BeforeValidator(to_epoch), Query(description=f"inclusive lower bound: {_TIME}")
]
End = Annotated[
    float | None, BeforeValidator(to_epoch), Query(description=f"exclusive upper bound: {_TIME}")
]

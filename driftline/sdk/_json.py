"""JSON for events: numpy scalars, datetimes and sets are encoded; anything else makes only
that event unserializable, never the whole batch. orjson (a dependency of the SDK: ~40x faster
than the standard library on float-heavy events) is imported on first use."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

__all__ = ["dumps", "encode_items", "loads"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes; raises TypeError/ValueError for what cannot be encoded (NaN is
    written as null, which every numeric field reads as missing)."""
    import orjson  # lazily: importing the SDK stays cheap

    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(obj, default=_default, option=options)


def loads(data: bytes) -> Any:
    return json.loads(data)


def encode_items(items: list[dict[str, Any]]) -> tuple[bytes, list[dict[str, Any]], int]:
    """``items`` as one JSON array: (bytes, the items kept, how many were unserializable)."""
    try:
        return dumps(items), items, 0
    except (TypeError, ValueError, OverflowError):
        pass
    kept: list[dict[str, Any]] = []
    for item in items:
        try:
            dumps(item)
        except (TypeError, ValueError, OverflowError):
            continue
        kept.append(item)
    return dumps(kept), kept, len(items) - len(kept)

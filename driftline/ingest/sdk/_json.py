"""JSON for events: numpy scalars, datetimes and sets are encoded; anything else makes only
that event unserializable, never the whole batch. orjson is used when installed (~40x faster
than the standard library on float-heavy events), imported lazily."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def _stdlib_dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=_default, allow_nan=True).encode()


def _load_dumps() -> Callable[[Any], bytes]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is optional
        return _stdlib_dumps
    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=options)

    return dumps


_dumps: Callable[[Any], bytes] | None = None


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes; raises TypeError/ValueError for what cannot be encoded."""
    global _dumps
    if _dumps is None:
        _dumps = _load_dumps()
    return _dumps(obj)


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

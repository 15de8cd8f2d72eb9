"""Logged events (one dict each) turned into columnar batches, one per model.

Runs on the SDK's worker thread, never on the caller's. The common case (every event has
the same feature names) is a handful of C-level passes per batch (list comprehensions, one
``itemgetter`` + ``zip`` transpose); features differing between events are unioned, a
missing one is None. Event ids and timestamps are carried as logged (floats stay floats), so
re-sending a batch stays idempotent.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from driftline.ingest._names import MODEL_NAME

__all__ = [
    "BINARY_CONTENT_TYPE",
    "BINARY_MAGIC",
    "encode_binary",
    "group_columns",
    "to_columns",
]


_OPTIONAL = ("prediction", "latency_ms", "tags")
_EMPTY: Mapping[str, Any] = {}


def group_columns(events: list[dict[str, Any]]) -> tuple[dict[str, list[int]], list[int]]:
    """Positions of the events of each model, and of the irregular ones.

    Irregular events (not a dict, no valid model name, ``features`` not a dict) are left to
    the row path, which rejects them one by one with the reason.
    """
    try:
        distinct = {e["model"] for e in events}
        kinds = set(map(type, events)) | {type(e.get("features", _EMPTY)) for e in events}
    except (TypeError, KeyError, AttributeError):
        distinct, kinds = set(), {object}
    if kinds == {dict} and len(distinct) == 1:
        (model,) = distinct
        if isinstance(model, str) and MODEL_NAME.match(model):
            return {model: list(range(len(events)))}, []
    groups: dict[str, list[int]] = {}
    irregular: list[int] = []
    good: dict[object, bool] = {}
    for i, event in enumerate(events):
        if type(event) is not dict or not isinstance(event.get("features", _EMPTY), dict):
            irregular.append(i)
            continue
        model = event.get("model")
        ok = good.get(model) if isinstance(model, str) else False
        if ok is None:
            ok = good[model] = bool(MODEL_NAME.match(model))  # type: ignore[arg-type]
        if ok:
            groups.setdefault(model, []).append(i)  # type: ignore[arg-type]
        else:
            irregular.append(i)
    return groups, irregular


def to_columns(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The columns of events of one model (regular ones, see ``group_columns``)."""
    n = len(events)
    columns: dict[str, Any] = {
        "event_id": [e.get("event_id") for e in events],
        "timestamp": [e.get("timestamp") for e in events],
    }
    versions = [e.get("model_version", "") for e in events]
    first = versions[0] if versions else ""
    columns["model_version"] = (
        first if isinstance(first, str) and versions.count(first) == n else versions)
    for key in _OPTIONAL:
        values = [e.get(key) for e in events]
        if values.count(None) != n:
            columns[key] = values
    columns["features"] = _features([e.get("features") or _EMPTY for e in events])
    return columns


def _features(feats: list[Mapping[str, Any]]) -> dict[str, Any]:
    if not feats:
        return {}
    first = list(feats[0])
    width = len(first)
    if set(map(len, feats)) == {width}:  # maybe the same names everywhere: gather in C
        try:
            return {name: list(map(itemgetter(name), feats)) for name in first}
        except KeyError:  # as many names, not the same ones
            pass
    names = set().union(*feats)
    order = first + sorted(names.difference(first), key=str)
    return {name: [f.get(name) for f in feats] for name in order}


# -- the binary columnar wire format -------------------------------------------------------
#: ``POST /v1/events`` with this content type carries one model's columns as
#: ``MAGIC | uint32 LE header length | header JSON | padding to 8 | float64 LE buffers``.
#: The header is the JSON envelope (``model``, ``columns``, ``client``) where a numeric column
#: is replaced by ``{"f64": k}``, the k-th buffer of ``n`` doubles (``n`` in the header);
#: None travels as NaN, which every numeric column reads as "missing". Strings, classes and
#: anything else stay JSON. Against the JSON envelope it saves the float formatting on the
#: client and the float parsing on the service (about 2.5 µs per event of 20 features).
BINARY_MAGIC = b"DLC1"
BINARY_CONTENT_TYPE = "application/vnd.driftline.columns"
_NUMERIC_KEYS = ("timestamp", "prediction", "latency_ms")
_NAN = float("nan")


def encode_binary(model: str, columns: dict[str, Any], client: Mapping[str, Any],
                  dumps: Callable[[Any], bytes]) -> bytes:
    """The binary body of ``columns`` (as ``to_columns`` returns them)."""
    buffers: list[array[float]] = []

    def pack(values: Any) -> Any:
        try:
            buffer = array("d", values)
        except TypeError:
            if not all(v is None or type(v) in (float, int) for v in values):
                return values  # strings, classes, probabilities: JSON
            buffer = array("d", [_NAN if v is None else v for v in values])
        buffers.append(buffer)
        return {"f64": len(buffers) - 1}

    header_columns = {k: (pack(v) if k in _NUMERIC_KEYS and isinstance(v, list) else v)
                      for k, v in columns.items() if k != "features"}
    header_columns["features"] = {name: pack(values)
                                  for name, values in columns.get("features", {}).items()}
    n = len(columns.get("event_id", ()))
    header = dumps({"model": model, "n": n, "columns": header_columns, "client": client})
    padding = b"\0" * (-(len(BINARY_MAGIC) + 4 + len(header)) % 8)
    return b"".join([BINARY_MAGIC, len(header).to_bytes(4, "little"), header, padding,
                     *(b.tobytes() for b in buffers)])

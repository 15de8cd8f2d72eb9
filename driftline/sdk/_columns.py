"""Logged events (one dict each) turned into columnar batches, one per model.

Runs on the SDK's worker thread, never on the caller's. The common case (every event has
the same feature names) is a handful of C-level passes per batch (list comprehensions, one
``itemgetter`` + ``zip`` transpose); features differing between events are unioned, a
missing one is None. Event ids and timestamps are carried as logged (floats stay floats), so
re-sending a batch stays idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from driftline.ingest.validation import MODEL_NAME

__all__ = ["group_columns", "to_columns"]


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

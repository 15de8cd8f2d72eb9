"""Hypothesis strategies for ingest bodies that the service should accept: names that match
the name rules, values of a kind the feature keeps, times near now."""

from __future__ import annotations

import string
import time
from typing import Any

from hypothesis import strategies as st

_HEAD = string.ascii_letters + string.digits
_TAIL = _HEAD + "_"

#: model names: 1-64 letters, digits, '_' or '-', starting with a letter or digit
model_names = st.builds(lambda h, t: h + t, st.sampled_from(_HEAD),
                        st.text(_TAIL + "-", max_size=20))
#: a small fixed pool of features, each with one kind: numeric (n_*) or categorical (c_*)
NUMERIC = ("n_amount", "n_age", "n_score")
CATEGORICAL = ("c_country", "c_device")

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
categories = st.text(string.ascii_letters + string.digits + " -_.", max_size=12)


def features() -> st.SearchStrategy[dict[str, Any]]:
    """A non-empty subset of the pool: numbers and strings (no nulls: a column of nulls only
    leaves the kind of a new feature open)."""
    numeric = st.fixed_dictionaries({}, optional={n: finite for n in NUMERIC})
    categorical = st.fixed_dictionaries({}, optional={c: categories for c in CATEGORICAL})
    return st.tuples(numeric, categorical).map(lambda p: {**p[0], **p[1]}).filter(bool)


#: "now" of the whole run: a strategy must not change between examples
NOW = int(time.time())


def timestamps() -> st.SearchStrategy[float]:
    """Within the day before the run started, as epoch seconds (whole: the store keeps
    seconds)."""
    return st.integers(0, 86_400).map(lambda ago: float(NOW - ago))


def event_ids() -> st.SearchStrategy[str]:
    return st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=24)


def events(model: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """One valid event object (``model`` given, or named in the event)."""
    optional = {
        "model_version": st.text(string.ascii_letters + string.digits + ".", max_size=8),
        "prediction": finite,
        "latency_ms": st.floats(min_value=0, max_value=1e4),
        "tags": st.dictionaries(st.sampled_from(["region", "host"]), categories, max_size=2),
    }
    required = {"event_id": event_ids(), "timestamp": timestamps(), "features": features()}
    if model is not None:
        required["model"] = st.just(model)
    return st.fixed_dictionaries(required, optional=optional)


def envelopes(models: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid ``POST /v1/events`` body: rows (``events``) or one model's ``columns``."""
    model = st.sampled_from(models)
    rows = model.flatmap(lambda m: st.lists(events(m), min_size=1, max_size=20,
                                            unique_by=lambda e: e["event_id"]))
    as_rows = rows.map(lambda evs: {"events": evs})
    as_columns = st.tuples(model, rows).map(lambda p: {"model": p[0], "columns": _columns(p[1])})
    return as_rows | as_columns


def _columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = sorted({n for r in rows for n in r["features"]})
    return {
        "event_id": [r["event_id"] for r in rows],
        "timestamp": [r["timestamp"] for r in rows],
        "features": {n: [r["features"].get(n) for r in rows] for n in names},
    }

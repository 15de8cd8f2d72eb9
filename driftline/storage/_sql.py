"""Names and conditions shared by the table groups' queries."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from driftline.errors import StoreError, ValidationError
from driftline.ingest.validation import FEATURE_NAME, FEATURE_NAME_RULE, MODEL_NAME, MODEL_NAME_RULE
from driftline.storage._backend import Columns
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["check_model", "delete_rows", "events_table", "feature_column", "renamed",
           "window_condition"]


def check_model(model: str) -> str:
    if not MODEL_NAME.match(model):
        raise ValidationError(f"model name {model!r} must be {MODEL_NAME_RULE}", field="model")
    return model


def feature_column(name: str) -> str:
    """The events-table column of a feature (names are validated, so no quoting games)."""
    if not FEATURE_NAME.match(name):
        raise ValidationError(f"feature name {name!r} must be {FEATURE_NAME_RULE}",
                              field="feature")
    return f"f_{name}"


def events_table(model: str) -> str:
    return f"events_{check_model(model)}"


def window_condition(start: float | None, end: float | None, column: str = "ts") -> str:
    """``start <= column < end`` (either side open when None) on a DateTime column."""
    parts = ["1"]
    if start is not None:
        parts.append(f"{column} >= toDateTime({math.floor(start)}, 'UTC')")
    if end is not None:
        parts.append(f"{column} < toDateTime({math.ceil(end)}, 'UTC')")
    return " AND ".join(parts)


def renamed(columns: Columns, renames: Mapping[str, str]) -> Columns:
    """Result columns under the names asked for (``ts`` as float epoch seconds)."""
    out = {renames.get(k, k): v for k, v in columns.items()}
    if "ts" in out and "ts_epoch" in columns:
        out["ts"] = out["ts"].astype(np.float64)
    return out


def delete_rows(store: Store, table: str, condition: str, *, timeout_s: float = 60.0) -> None:
    """``ALTER TABLE ... DELETE`` and wait until it is done (18.16 cannot wait by itself:
    poll ``system.mutations``)."""
    dialect = store.dialect
    store.backend.execute(dialect.delete_where(table, condition))
    if dialect.capabilities.mutations_sync:
        return
    deadline = time.monotonic() + timeout_s
    pending = (f"SELECT count() AS n FROM system.mutations WHERE database ="
               f" {quote(store.database)} AND table = {quote(table)} AND is_done = 0")
    while int(store.backend.select(pending)["n"][0]):
        if time.monotonic() > deadline:
            raise StoreError(f"deleting from {dialect.table(table)} did not finish in "
                             f"{timeout_s:g}s (see system.mutations)")
        time.sleep(0.05)

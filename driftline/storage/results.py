"""Monitor results: one general record per (monitor, window, subject, metric, revision).

Shaped like Prometheus / Alertmanager data (a kind, a subject, a metric, a value, bounds, a
status and a labels map), so a new monitor kind needs no new column. The ``results`` table is a
plain MergeTree: re-evaluating a window inserts all its rows again under a new, larger
``revision``, and reads keep the latest revision of each window, so a subject missing from the
latest revision never shows an older row. Labels are stored portably (18.16 has no Map) as
two ``Array(String)`` columns sorted by key; details as a JSON string.
"""

from __future__ import annotations

import enum
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftline.storage._sql import check_model, delete_rows
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["RESULT_COLUMNS", "RESULT_ENGINE", "RESULT_ORDER", "RESULT_PARTITION", "ResultRecord",
           "ResultStatus", "Results"]


class ResultStatus(enum.StrEnum):
    """What a result says about its window."""

    OK = "ok"
    ALERT = "alert"
    INSUFFICIENT_DATA = "insufficient_data"
    NO_DATA = "no_data"
    REFERENCE_UNAVAILABLE = "reference_unavailable"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One metric of one subject (a feature, a slice, ``"*"``: the whole model) in a window.

    Times are epoch seconds (UTC); a stored (training) reference has reference start and
    end 0. ``revision`` is the ``time_ns`` of the run that wrote it (0: set at insert).
    """

    monitor_id: str
    kind: str
    model: str
    window_start: float
    window_end: float
    subject: str
    metric: str
    value: float
    status: ResultStatus
    reference_start: float = 0.0
    reference_end: float = 0.0
    threshold: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    p_value: float = math.nan
    effect_size: float = math.nan
    n_reference: int = 0
    n_window: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    revision: int = 0


RESULT_COLUMNS: dict[str, str] = {
    "monitor_id": "String", "kind": "String", "model": "String",
    "window_start": "DateTime('UTC')", "window_end": "DateTime('UTC')",
    "subject": "String", "metric": "String", "value": "Float64", "status": "String",
    "reference_start": "DateTime('UTC')", "reference_end": "DateTime('UTC')",
    "threshold": "Float64", "lower": "Float64", "upper": "Float64", "p_value": "Float64",
    "effect_size": "Float64", "n_reference": "UInt64", "n_window": "UInt64",
    "label_keys": "Array(String)", "label_values": "Array(String)", "details": "String",
    "revision": "UInt64",
}
RESULT_ENGINE = "MergeTree()"
RESULT_PARTITION = "toYYYYMM(window_start)"
RESULT_ORDER = ("model", "monitor_id", "window_start", "subject", "metric", "revision")

_TIMES = ("window_start", "window_end", "reference_start", "reference_end")
_FLOATS = ("value", "threshold", "lower", "upper", "p_value", "effect_size")
_WINDOW = "monitor_id, window_start, window_end"


class Results:
    """``store.results``: write records, read the latest revision of each window."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _table(self) -> str:
        return self._store.dialect.table("results")

    def insert(self, records: Sequence[ResultRecord]) -> int:
        """Store records; those with revision 0 get this call's ``time_ns`` (one revision for
        the whole call: insert a window's records together). Returns the count."""
        if not records:
            return 0
        now = time.time_ns()
        columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        for record in records:
            check_model(record.model)
            keys = sorted(record.labels)
            for name in RESULT_COLUMNS:
                if name == "label_keys":
                    value: Any = keys
                elif name == "label_values":
                    value = [str(record.labels[k]) for k in keys]
                elif name == "details":
                    value = json.dumps(dict(record.details), sort_keys=True, default=str)
                elif name == "status":
                    value = str(ResultStatus(record.status))
                elif name == "revision":
                    value = record.revision or now
                elif name in _FLOATS:
                    raw = getattr(record, name)
                    value = math.nan if raw is None else float(raw)
                else:
                    value = getattr(record, name)
                columns[name].append(value)
        self._store.backend.insert(self._table, columns, RESULT_COLUMNS)
        return len(records)

    def read(self, model: str | None = None, monitor_id: str | None = None,
             start: float | None = None, end: float | None = None, *,
             subject: str | None = None, kind: str | None = None,
             status: ResultStatus | str | None = None, limit: int = 10_000,
             all_revisions: bool = False) -> list[ResultRecord]:
        """Records of the windows in [start, end] (their latest revision; ``all_revisions``:
        every revision), ordered by window_start, monitor_id, subject, metric."""
        scope = self._scope(model, monitor_id, start, end)
        where = [scope]
        if not all_revisions:
            where.append(f"({_WINDOW}, revision) IN ({self._latest_revisions(scope)})")
        if subject is not None:
            where.append(f"subject = {quote(subject)}")
        if kind is not None:
            where.append(f"kind = {quote(kind)}")
        if status is not None:
            where.append(f"status = {quote(str(ResultStatus(status)))}")
        return self._records(" AND ".join(where), limit)

    def latest(self, model: str | None = None,
               monitor_id: str | None = None) -> list[ResultRecord]:
        """For each (monitor, subject, metric), its newest window's record (latest revision):
        what each monitor says now."""
        scope = self._scope(model, monitor_id, None, None)
        current = f"{scope} AND ({_WINDOW}, revision) IN ({self._latest_revisions(scope)})"
        newest = (f"SELECT monitor_id, subject, metric, max(window_end) FROM {self._table}"
                  f" WHERE {current} GROUP BY monitor_id, subject, metric")
        records = self._records(
            f"{current} AND (monitor_id, subject, metric, window_end) IN ({newest})", None)
        # two windows may end together (different starts): keep the later start
        picked: dict[tuple[str, str, str], ResultRecord] = {}
        for record in records:
            key = (record.monitor_id, record.subject, record.metric)
            if key not in picked or record.window_start > picked[key].window_start:
                picked[key] = record
        return sorted(picked.values(), key=lambda r: (r.monitor_id, r.subject, r.metric))

    def last_window_end(self, monitor_id: str, *, ignore_errors: bool = False) -> float | None:
        """The end of the last window a monitor stored a result for (None: none yet);
        ``ignore_errors``: of the last window with a record other than ``error`` (the
        scheduler's position: a window that failed is retried, not passed)."""
        errors = f" AND status != {quote(str(ResultStatus.ERROR))}" if ignore_errors else ""
        rows = self._store.backend.select(
            f"SELECT toUnixTimestamp(max(window_end)) AS last, count() AS n FROM {self._table}"
            f" WHERE monitor_id = {quote(monitor_id)}{errors}")
        return float(rows["last"][0]) if int(rows["n"][0]) else None

    def revisions(self, monitor_id: str, start: float,
                  end: float) -> dict[tuple[float, float], int]:
        """The latest revision of each window (window_start, window_end) of a monitor whose
        end is in (start, end]."""
        rows = self._store.backend.select(
            f"SELECT toUnixTimestamp(window_start) AS ws, toUnixTimestamp(window_end) AS we,"
            f" max(revision) AS revision FROM {self._table}"
            f" WHERE monitor_id = {quote(monitor_id)}"
            f" AND window_end > toDateTime({math.floor(start)}, 'UTC')"
            f" AND window_end <= toDateTime({math.floor(end)}, 'UTC')"
            f" GROUP BY window_start, window_end")
        return {(float(s), float(e)): int(r)
                for s, e, r in zip(rows["ws"], rows["we"], rows["revision"], strict=True)}

    def drop_model(self, model: str) -> None:
        """Delete every result of ``model``."""
        delete_rows(self._store, "results", f"model = {quote(check_model(model))}")

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _scope(model: str | None, monitor_id: str | None, start: float | None,
               end: float | None) -> str:
        where = ["1"]
        if model is not None:
            where.append(f"model = {quote(check_model(model))}")
        if monitor_id is not None:
            where.append(f"monitor_id = {quote(monitor_id)}")
        if start is not None:
            where.append(f"window_start >= toDateTime({math.floor(start)}, 'UTC')")
        if end is not None:
            where.append(f"window_end <= toDateTime({math.floor(end)}, 'UTC')")
        return " AND ".join(where)

    def _latest_revisions(self, scope: str) -> str:
        return (f"SELECT {_WINDOW}, max(revision) FROM {self._table} WHERE {scope}"
                f" GROUP BY {_WINDOW}")

    def _records(self, where: str, limit: int | None) -> list[ResultRecord]:
        # no alias named like a column: on 18.16 it would shadow the column in WHERE
        exprs = [f"toUnixTimestamp({c}) AS {c}_s" if c in _TIMES else c for c in RESULT_COLUMNS]
        sql = (f"SELECT {', '.join(exprs)} FROM {self._table} WHERE {where}"
               " ORDER BY window_start, monitor_id, subject, metric, revision")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._store.backend.select(sql)
        names = {c: f"{c}_s" if c in _TIMES else c for c in RESULT_COLUMNS}
        return [_record({c: rows[name][i] for c, name in names.items()})
                for i in range(len(rows["monitor_id"]))]


def _record(row: Mapping[str, Any]) -> ResultRecord:
    return ResultRecord(
        monitor_id=str(row["monitor_id"]), kind=str(row["kind"]), model=str(row["model"]),
        window_start=float(row["window_start"]), window_end=float(row["window_end"]),
        subject=str(row["subject"]), metric=str(row["metric"]), value=float(row["value"]),
        status=ResultStatus(str(row["status"])),
        reference_start=float(row["reference_start"]),
        reference_end=float(row["reference_end"]), threshold=float(row["threshold"]),
        lower=float(row["lower"]), upper=float(row["upper"]), p_value=float(row["p_value"]),
        effect_size=float(row["effect_size"]), n_reference=int(row["n_reference"]),
        n_window=int(row["n_window"]),
        labels={str(k): str(v) for k, v in zip(row["label_keys"], row["label_values"],
                                                strict=True)},
        details=json.loads(row["details"] or "{}"), revision=int(row["revision"]))

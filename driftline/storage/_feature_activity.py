"""When each feature of a model last had a value: ``feature_activity`` (model, feature,
last_seen), the clock that ``Events.feature_absence_s`` reads.

Cheap on the write path: a write refreshes only the features whose recorded time is older
than ``resolution`` (one small insert for all of them), so the recorded time trails the truth
by at most ``resolution``, and this process asks the table once per model, and again only
before it calls a feature absent (another process may have seen it since). A table, not
``max(ts)`` over the events, because a feature's absence is about deliveries (a backfill of
old events is a delivery) and because the events of a week are too many to scan on a write.
Callers hold the model's schema lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from driftline.storage._sql import delete_rows
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["ACTIVITY_COLUMNS", "ACTIVITY_ENGINE", "ACTIVITY_ORDER", "FeatureActivity"]

ACTIVITY_COLUMNS = {"model": "String", "feature": "String", "last_seen": "DateTime('UTC')"}
ACTIVITY_ENGINE = "ReplacingMergeTree(last_seen)"
ACTIVITY_ORDER = ("model", "feature")


class FeatureActivity:
    """Last-seen times per model and feature, cached per process."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._seen: dict[str, dict[str, float]] = {}

    def _read(self, model: str) -> dict[str, float]:
        rows = self._store.backend.select(
            f"SELECT feature, toUnixTimestamp(max(last_seen)) AS seen"
            f" FROM {self._store.dialect.table('feature_activity')}"
            f" WHERE model = {quote(model)} GROUP BY feature")
        return {str(f): float(s) for f, s in zip(rows["feature"], rows["seen"], strict=True)}

    def _cached(self, model: str) -> dict[str, float]:
        seen = self._seen.get(model)
        if seen is None:
            seen = self._seen[model] = self._read(model)
        return seen

    def touch(self, model: str, features: Iterable[str], now: float,
              resolution: float) -> None:
        """Record that ``features`` had values at ``now`` (where the record is stale)."""
        seen = self._cached(model)
        stale = [f for f in features if seen.get(f, -1.0) < now - resolution]
        if not stale:
            return
        self._store.backend.insert(
            self._store.dialect.table("feature_activity"),
            {"model": [model] * len(stale), "feature": stale, "last_seen": [now] * len(stale)},
            ACTIVITY_COLUMNS)
        seen.update(dict.fromkeys(stale, now))

    def absent(self, model: str, features: Iterable[str], now: float,
               absence_s: float) -> tuple[str, ...]:
        """Those of ``features`` without a value for more than ``absence_s`` before ``now``.

        A feature with no record (a store from before this table) counts as seen now: its
        absence is measured from the first time someone asks.
        """
        seen = self._cached(model)
        features = list(features)
        unrecorded = [f for f in features if f not in seen]
        if unrecorded:
            self.touch(model, unrecorded, now, 0.0)
        overdue = [f for f in features if seen[f] < now - absence_s]
        if overdue:  # maybe seen by another process since this one last asked
            seen.update(self._read(model))
            overdue = [f for f in overdue if seen[f] < now - absence_s]
        return tuple(sorted(overdue))

    def forget(self, model: str) -> None:
        self._seen.pop(model, None)

    def forget_all(self) -> None:
        self._seen.clear()

    def drop_model(self, model: str) -> None:
        delete_rows(self._store, "feature_activity", f"model = {quote(model)}")
        self.forget(model)

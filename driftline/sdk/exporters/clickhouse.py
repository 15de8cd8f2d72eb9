"""Write batches straight into a ClickHouse server over the native protocol (no service)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftline.sdk.exporters._base import ExportResult
from driftline.sdk.exporters._ingest import ingest

if TYPE_CHECKING:
    from driftline.ingest.writer import Ingestor
    from driftline.storage import Store

__all__ = ["ClickHouseExporter"]


class ClickHouseExporter:
    """Deliver to ``clickhouse://user:password@host:9000/database``.

    The connection is opened (and the schema migrated) on the first export, so a server that
    is down at start-up only makes the first batches retry.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: Store | None = None
        self._ingestor: Ingestor | None = None
        self._open_lock = threading.Lock()  # two batches may be in flight at once

    def _open(self) -> Ingestor:
        with self._open_lock:
            return self._open_locked()

    def _open_locked(self) -> Ingestor:
        if self._ingestor is None:
            from driftline.ingest.writer import Ingestor
            from driftline.storage import Store

            store = Store.clickhouse(self.url)
            try:
                store.migrate()
            except Exception:
                store.close()
                raise
            self._store, self._ingestor = store, Ingestor(store)
        return self._ingestor

    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult:
        try:
            ingestor = self._open()
        except Exception as exc:
            return ExportResult.retry(f"cannot open {self.url}: {exc}")
        return ingest(ingestor, events, labels)

    def after_fork(self) -> None:
        """In a forked child: leave the parent's connections alone, open new ones lazily."""
        if self._store is not None:
            _ABANDONED.append(self._store)
        self._store = self._ingestor = None
        self._open_lock = threading.Lock()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = self._ingestor = None


_ABANDONED: list[Any] = []

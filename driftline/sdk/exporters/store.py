"""Write batches in-process into a Store (embedded chDB or a server) through the Ingestor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftline.sdk.exporters._base import ExportResult
from driftline.sdk.exporters._ingest import ingest

if TYPE_CHECKING:
    from driftline.storage import Store

__all__ = ["StoreExporter"]


class StoreExporter:
    """Deliver into ``store``, e.g. an embedded ``Store.chdb(path)`` in a notebook or a batch job.

    The store is migrated on first use. ``close_store`` closes it with the exporter (``init``
    sets it for the stores it opened itself).
    """

    def __init__(self, store: Store, *, close_store: bool = False) -> None:
        from driftline.ingest.writer import Ingestor

        self.store = store
        self._ingestor = Ingestor(store)
        self._close_store = close_store
        self._migrated = False

    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult:
        if not self._migrated:
            try:
                self.store.migrate()
            except Exception as exc:
                return ExportResult.retry(f"cannot migrate the store: {exc}")
            self._migrated = True
        return ingest(self._ingestor, events, labels)

    def close(self) -> None:
        if self._close_store:
            self.store.close()

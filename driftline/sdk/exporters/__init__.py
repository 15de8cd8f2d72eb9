"""Where the SDK delivers batches: the service over HTTP, a ClickHouse server, or a Store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.sdk.exporters._base import Exporter, ExportResult

if TYPE_CHECKING:
    from driftline.sdk.exporters.clickhouse import ClickHouseExporter
    from driftline.sdk.exporters.http import HttpExporter
    from driftline.sdk.exporters.store import StoreExporter

__all__ = ["ClickHouseExporter", "ExportResult", "Exporter", "HttpExporter", "StoreExporter"]

_LAZY = {
    "ClickHouseExporter": "driftline.sdk.exporters.clickhouse",
    "HttpExporter": "driftline.sdk.exporters.http",
    "StoreExporter": "driftline.sdk.exporters.store",
}


def __getattr__(name: str) -> Any:
    # httpx costs ~0.1 s to import: only pay for the exporter that is used
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

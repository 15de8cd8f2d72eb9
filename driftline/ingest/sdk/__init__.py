"""The driftline SDK: log predictions and labels from a prediction server.

Standard library only at import time (``httpx`` and the storage layer load with the exporter
that needs them), so importing it inside any prediction server is cheap and safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.ingest.sdk._global import (
    flush,
    get_client,
    init,
    log_label,
    log_prediction,
    shutdown,
)
from driftline.ingest.sdk.client import Client, ClientStats, NoopClient
from driftline.ingest.sdk.exporters._base import Exporter, ExportResult
from driftline.ingest.sdk.serving import monitor
from driftline.ingest.sdk.spool import DiskSpool, MemorySpool

if TYPE_CHECKING:
    from driftline.ingest.sdk.exporters.clickhouse import ClickHouseExporter
    from driftline.ingest.sdk.exporters.http import HttpExporter
    from driftline.ingest.sdk.exporters.store import StoreExporter

__all__ = [
    "ClickHouseExporter",
    "Client",
    "ClientStats",
    "DiskSpool",
    "ExportResult",
    "Exporter",
    "HttpExporter",
    "MemorySpool",
    "NoopClient",
    "StoreExporter",
    "flush",
    "get_client",
    "init",
    "log_label",
    "log_prediction",
    "monitor",
    "shutdown",
]


def __getattr__(name: str) -> Any:
    if name in ("ClickHouseExporter", "HttpExporter", "StoreExporter"):
        from driftline.ingest.sdk import exporters

        return getattr(exporters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

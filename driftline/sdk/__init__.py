"""The driftline SDK: log predictions and labels from a prediction server.

Standard library only at import time (``httpx`` and the storage layer load with the exporter
that needs them), so importing it inside any prediction server is cheap and safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.sdk._global import (
    flush,
    get_client,
    init,
    log_label,
    log_prediction,
    shutdown,
)
from driftline.sdk.client import Client, ClientStats, NoopClient
from driftline.sdk.exporters._base import Exporter, ExportResult
from driftline.sdk.serving import monitor
from driftline.sdk.spool import DiskSpool, MemorySpool

if TYPE_CHECKING:
    from driftline.sdk.exporters.clickhouse import ClickHouseExporter
    from driftline.sdk.exporters.http import HttpExporter
    from driftline.sdk.exporters.store import StoreExporter

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
        from driftline.sdk import exporters

        return getattr(exporters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The module-level API: ``driftline.init(...)`` once, then ``driftline.log_prediction(...)``
anywhere. Until ``init`` is called every function goes to a ``NoopClient``."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigurationError
from driftline.sdk.client import Client, NoopClient
from driftline.sdk.exporters._base import Exporter

if TYPE_CHECKING:
    from driftline.storage import Store

__all__ = ["flush", "get_client", "init", "log_label", "log_prediction", "shutdown"]

_client: Client | NoopClient = NoopClient()
_lock = threading.Lock()


def init(
    url: str | None = None,
    *,
    api_key: str | None = None,
    store: Store | None = None,
    clickhouse_url: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    **client_settings: Any,
) -> Client:
    """Start the process-wide client and return it; a previous one is shut down.

    Give exactly one destination: ``url`` of a driftline service (default: the
    ``DRIFTLINE_URL`` environment variable, key from ``DRIFTLINE_API_KEY``), a ``store``,
    a ``clickhouse_url`` or an embedded ``data_dir``. ``client_settings`` go to ``Client``.
    """
    global _client
    if url is None and store is None and clickhouse_url is None and data_dir is None:
        url = os.environ.get("DRIFTLINE_URL") or None
        api_key = api_key or os.environ.get("DRIFTLINE_API_KEY") or None
    given = [
        name
        for name, value in (
            ("url", url),
            ("store", store),
            ("clickhouse_url", clickhouse_url),
            ("data_dir", data_dir),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ConfigurationError(
            "driftline.init needs exactly one destination: url=, store=, clickhouse_url= or "
            f"data_dir= (or DRIFTLINE_URL in the environment); got {given or 'none'}"
        )
    client = Client(_exporter(url, api_key, store, clickhouse_url, data_dir), **client_settings)
    with _lock:
        previous, _client = _client, client
    previous.shutdown()
    return client


def _exporter(
    url: str | None,
    api_key: str | None,
    store: Store | None,
    clickhouse_url: str | None,
    data_dir: str | os.PathLike[str] | None,
) -> Exporter:
    if url is not None:
        from driftline.sdk.exporters.http import HttpExporter

        return HttpExporter(url, api_key)
    if clickhouse_url is not None:
        from driftline.sdk.exporters.clickhouse import ClickHouseExporter

        return ClickHouseExporter(clickhouse_url)
    from driftline.sdk.exporters.store import StoreExporter

    if store is not None:
        return StoreExporter(store)
    from driftline.storage import Store

    assert data_dir is not None
    return StoreExporter(Store.chdb(data_dir), close_store=True)


def get_client() -> Client | NoopClient:
    return _client


def log_prediction(
    features: Mapping[str, Any],
    prediction: Any = None,
    *,
    model: str | None = None,
    event_id: str | None = None,
    timestamp: float | None = None,
    model_version: str | None = None,
    tags: Mapping[str, Any] | None = None,
    latency_ms: float | None = None,
) -> str:
    """Log one prediction with the process-wide client; returns the event id."""
    return _client.log_prediction(
        features,
        prediction,
        model=model,
        event_id=event_id,
        timestamp=timestamp,
        model_version=model_version,
        tags=tags,
        latency_ms=latency_ms,
    )


def log_label(
    event_id: str, label: Any, *, model: str | None = None, timestamp: float | None = None
) -> None:
    """Log the natural label of an earlier event with the process-wide client."""
    _client.log_label(event_id, label, model=model, timestamp=timestamp)


def flush(timeout: float | None = None) -> bool:
    """Deliver what was logged; False when items wait or were dropped since the last flush
    (``get_client().stats.last_flush_dropped`` says what, by reason)."""
    return _client.flush(timeout)


def shutdown(timeout: float = 5.0) -> bool:
    """Shut the process-wide client down and go back to the no-op client."""
    global _client
    with _lock:
        previous, _client = _client, NoopClient()
    return previous.shutdown(timeout)

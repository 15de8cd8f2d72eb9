"""A Store on a ClickHouse server over the native protocol (``clickhouse-driver``).

Works with a current ClickHouse and with Debian's 18.16: data is always sent separately from
the statement (an INSERT with inline VALUES can hang on 18.16 and hold a table lock), every
call has send/receive timeouts, and one connection per thread (a driver Client is not
thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np

from driftline.errors import ConfigurationError, StoreError, StoreUnavailableError
from driftline.ingest.events import Column
from driftline.ingest.store import Columns, Store

__all__ = ["ClickHouseStore"]


class ClickHouseStore(Store):
    """A Store on ``clickhouse://user:password@host:9000/database?secure=false``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9000, *, user: str = "default",
                 password: str = "", database: str = "driftline", secure: bool = False,
                 timeout_s: float = 30.0) -> None:
        super().__init__(database)
        from clickhouse_driver import Client

        self._client_cls = Client
        self._params: dict[str, Any] = {
            "host": host, "port": port, "user": user, "password": password, "secure": secure,
            "connect_timeout": min(timeout_s, 10.0), "send_receive_timeout": timeout_s,
            "sync_request_timeout": min(timeout_s, 10.0),
        }
        self._local = threading.local()
        self._clients: list[Any] = []
        self._clients_lock = threading.Lock()
        self._version: tuple[int, ...] | None = None

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ClickHouseStore:
        parsed = urlparse(url)
        if parsed.scheme not in ("clickhouse", "clickhouses"):
            raise ConfigurationError(f"expected a clickhouse://host:port/database URL, got {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        secure = parsed.scheme == "clickhouses" or query.get("secure", "").lower() in (
            "1", "true", "yes")
        kwargs: dict[str, Any] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or (9440 if secure else 9000),
            "user": unquote(parsed.username or "default"),
            "password": unquote(parsed.password or ""),
            "secure": secure,
        }
        if parsed.path.strip("/"):
            kwargs["database"] = parsed.path.strip("/")
        kwargs.update(overrides)
        return cls(**kwargs)

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._client_cls(**self._params)
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _run(self, sql: str, data: Any = None, **kwargs: Any) -> Any:
        from clickhouse_driver import errors

        try:
            if data is None:
                return self._client().execute(sql, **kwargs)
            return self._client().execute(sql, data, **kwargs)
        except (errors.NetworkError, errors.SocketTimeoutError, OSError, EOFError) as exc:
            self._drop_client()
            raise StoreUnavailableError(
                f"ClickHouse at {self._params['host']}:{self._params['port']} is unreachable:"
                f" {exc}") from exc
        except errors.Error as exc:
            message = str(exc).split("Stack trace:")[0].strip()
            raise StoreError(f"{message} (while running: {sql[:200]})") from exc

    def _drop_client(self) -> None:
        client = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            try:
                client.disconnect()
            except Exception:
                pass

    @property
    def server_version(self) -> tuple[int, ...]:
        if self._version is None:
            raw = self._run("SELECT version()")[0][0]
            self._version = tuple(int(p) for p in str(raw).split(".") if p.isdigit())
        return self._version

    def _command(self, sql: str) -> None:
        self._run(sql)

    def _select(self, sql: str) -> Columns:
        result = self._run(sql, columnar=True, with_column_types=True)
        data, types = result
        out: Columns = {}
        for (name, ch_type), values in zip(types, data or [[] for _ in types], strict=True):
            if "String" in ch_type:
                out[name] = np.array(list(values), dtype=object)
            elif "Float" in ch_type:
                out[name] = np.array([np.nan if v is None else v for v in values],
                                     dtype=np.float64)
            else:
                out[name] = np.array(list(values))
        return out

    def _insert(self, table: str, columns: Mapping[str, Column],
                types: Mapping[str, str]) -> None:
        data: list[list[Any]] = []
        for name, values in columns.items():
            ch_type = types.get(name, "String")
            if ch_type.startswith("DateTime"):
                data.append(_epoch_seconds(values))  # the driver takes raw epoch ints
            elif ch_type == "Nullable(Float64)":
                data.append(_nullable_floats(values))
            elif isinstance(values, np.ndarray):
                data.append(values.tolist())
            else:
                data.append(list(values))
        self._run(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", data, columnar=True)

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            try:
                client.disconnect()
            except Exception:
                pass


def _epoch_seconds(values: Column) -> list[int]:
    """Whole epoch seconds (the DateTime column's resolution), as ``int(ts)`` per row."""
    seconds: list[int] = np.asarray(values, dtype=np.float64).astype(np.int64).tolist()
    return seconds


def _nullable_floats(values: Column) -> list[float | None]:
    """Floats with None for NULL (a None or a NaN), converted vectorized."""
    if not isinstance(values, np.ndarray):
        values = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    floats = values.astype(np.float64, copy=False)
    out: list[float | None] = floats.tolist()
    missing = np.flatnonzero(np.isnan(floats))
    for i in missing.tolist():
        out[i] = None
    return out

"""A ClickHouse server over the native protocol (``clickhouse-driver``).

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
from driftline.storage._backend import Capabilities, Column, Columns, parse_version

__all__ = ["ClickHouseBackend", "url_database"]


class ClickHouseBackend:
    """A server at ``host:port``; see :meth:`from_url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9000, *, user: str = "default",
                 password: str = "", secure: bool = False, timeout_s: float = 30.0) -> None:
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
    def from_url(cls, url: str, **overrides: Any) -> ClickHouseBackend:
        """``clickhouse://user:password@host:9000/database?secure=false`` (``clickhouses://``:
        TLS, port 9440); the database part is read by :func:`url_database`."""
        parsed = _parse(url)
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
        kwargs.update(overrides)
        return cls(**kwargs)

    def __repr__(self) -> str:
        return f"ClickHouseBackend({self._params['host']!r}, {self._params['port']})"

    @property
    def connection_params(self) -> dict[str, Any]:
        """host, port, user, password, secure and the timeouts the connections use."""
        return dict(self._params)

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
    def version(self) -> tuple[int, ...]:
        if self._version is None:
            self._version = parse_version(self._run("SELECT version()")[0][0])
        return self._version

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities.for_version(self.version)

    def execute(self, sql: str) -> None:
        self._run(sql)

    def select(self, sql: str) -> Columns:
        data, types = self._run(sql, columnar=True, with_column_types=True)
        out: Columns = {}
        for (name, ch_type), values in zip(types, data or [[] for _ in types], strict=True):
            if ch_type.startswith("Array("):
                column = np.empty(len(values), dtype=object)
                strings = "String" in ch_type
                for i, v in enumerate(values):  # one by one: never a 2-D array
                    column[i] = list(v) if strings else np.asarray(v, dtype=np.float64)
                out[name] = column
            elif "String" in ch_type:
                out[name] = np.array(list(values), dtype=object)
            elif "Float" in ch_type:
                out[name] = np.array([np.nan if v is None else v for v in values],
                                     dtype=np.float64)
            else:
                out[name] = np.array(list(values))
        return out

    def insert(self, table: str, columns: Mapping[str, Column],
               types: Mapping[str, str]) -> None:
        data: list[list[Any]] = []
        for name, values in columns.items():
            ch_type = types.get(name, "String")
            if ch_type.startswith("DateTime"):
                data.append(_epoch_seconds(values))  # the driver takes raw epoch ints
            elif ch_type == "Nullable(Float64)":
                data.append(_nullable_floats(values))
            elif ch_type.startswith("Array("):
                data.append([list(v) for v in values])
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


def url_database(url: str) -> str | None:
    """The database a ``clickhouse://`` URL names (None: it names none)."""
    return _parse(url).path.strip("/") or None


def _parse(url: str) -> Any:
    parsed = urlparse(url)
    if parsed.scheme not in ("clickhouse", "clickhouses"):
        raise ConfigurationError(f"expected a clickhouse://host:port/database URL, got {url!r}")
    return parsed


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

"""What a storage backend provides: run a statement, run a query, insert columns.

A backend knows nothing of driftline's tables; the table groups (``events``, ``labels``, ...)
build the SQL, and :class:`~driftline.storage.dialect.Dialect` builds every DDL statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy.typing as npt

__all__ = ["Backend", "Capabilities", "Column", "Columns", "parse_version"]

#: a query result: one numpy array per column (object arrays for strings and arrays)
Columns = dict[str, npt.NDArray[Any]]
#: an insert column: a list or a numpy array
Column = Sequence[Any] | npt.NDArray[Any]

#: the first version with the modern-only features below (18.16 lacks them all)
_MODERN = (21, 0)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the engine supports beyond the portable core (declared from its version)."""

    if_not_exists_column: bool = False
    low_cardinality: bool = False
    ttl: bool = False
    mutations_sync: bool = False

    @classmethod
    def for_version(cls, version: tuple[int, ...]) -> Capabilities:
        modern = version >= _MODERN
        return cls(if_not_exists_column=modern, low_cardinality=modern, ttl=modern,
                   mutations_sync=modern)


@runtime_checkable
class Backend(Protocol):
    """One ClickHouse engine (embedded chDB or a server). Thread-safe.

    ``insert`` takes columnar data: lists or numpy arrays; DateTime columns as epoch seconds;
    NaN (or None) is NULL in a ``Nullable(Float64)`` column; ``Array(String)`` columns as
    lists of lists of strings. Failures raise ``StoreError`` (``StoreUnavailableError`` when
    the server cannot be reached: retryable).
    """

    @property
    def version(self) -> tuple[int, ...]:
        """(major, minor, ...) of the engine."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing."""
        ...

    def select(self, sql: str) -> Columns:
        """Run a query; its columns by name."""
        ...

    def insert(self, table: str, columns: Mapping[str, Column],
               types: Mapping[str, str]) -> None:
        """Insert columns (``types``: their ClickHouse types, default ``String``)."""
        ...

    def close(self) -> None:
        """Release sessions / connections. Idempotent."""
        ...


def parse_version(raw: object) -> tuple[int, ...]:
    """``"18.16.1"`` -> ``(18, 16, 1)``."""
    return tuple(int(p) for p in str(raw).split(".") if p.isdigit())

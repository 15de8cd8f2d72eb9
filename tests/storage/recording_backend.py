"""A thin Backend wrapper around a real one: records each statement and lets a test hold a
statement back (to see what other threads can do meanwhile). The engine underneath does all
the work; nothing of the storage semantics is imitated."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from driftline.storage import Backend, Capabilities, Column, Columns, Store

__all__ = ["RecordingBackend", "recording_store"]


class RecordingBackend:
    """Delegates to ``inner``; ``statements`` lists every ``execute`` in order, and
    ``before_execute`` (when set) runs before a statement reaches the engine."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.statements: list[str] = []
        self.before_execute: Callable[[str], None] | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> tuple[int, ...]:
        return self.inner.version

    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    def execute(self, sql: str) -> None:
        with self._lock:
            self.statements.append(sql)
        if self.before_execute is not None:
            self.before_execute(sql)
        self.inner.execute(sql)

    def select(self, sql: str) -> Columns:
        return self.inner.select(sql)

    def insert(self, table: str, columns: Mapping[str, Column],
               types: Mapping[str, str]) -> None:
        self.inner.insert(table, columns, types)

    def close(self) -> None:
        """Leaves ``inner`` open: its owner closes it."""

    def alters(self, table: str) -> list[str]:
        """The ``ALTER TABLE`` statements run on a table (its unqualified name)."""
        with self._lock:
            return [s for s in self.statements
                    if s.startswith("ALTER TABLE") and f".`{table}`" in s.split(" ")[2]]


def recording_store(store: Store) -> tuple[Store, RecordingBackend]:
    """A second Store on ``store``'s database and engine, through a RecordingBackend."""
    backend = RecordingBackend(store.backend)
    return Store(backend, store.database), backend

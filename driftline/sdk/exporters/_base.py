"""The exporter protocol: where a batch of events and labels goes, and what came of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["ExportResult", "Exporter", "SupportsProbe"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What happened to one batch.

    ``accepted`` items are stored; ``dropped`` counts items that will never be stored, by
    reason (``invalid_event``, ``unserializable``, ``rejected_by_server``); ``retryable`` means
    nothing was stored for sure and the whole batch should be sent again later (delivery is
    idempotent: event ids and timestamps are fixed at log time).
    """

    accepted: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)
    retryable: bool = False
    error: str | None = None
    retry_after_s: float | None = None

    @property
    def rejected(self) -> int:
        return sum(self.dropped.values())

    @classmethod
    def retry(cls, error: str, retry_after_s: float | None = None) -> ExportResult:
        return cls(retryable=True, error=error, retry_after_s=retry_after_s)

    @classmethod
    def drop_all(cls, n: int, reason: str, error: str) -> ExportResult:
        return cls(dropped={reason: n} if n else {}, error=error)


@runtime_checkable
class Exporter(Protocol):
    """Delivers batches; must not raise (errors become an ``ExportResult``).

    ``dropped`` is the client's drop counts by reason since the last delivered batch, for
    exporters that forward them to the service; a call with no events and no labels is a
    report of those counts alone.
    """

    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult: ...

    def close(self) -> None: ...


@runtime_checkable
class SupportsProbe(Protocol):
    """An exporter that can tell cheaply whether its destination is back after a failure.

    ``probe`` sends no data: success means "redeliver now", a retryable result "still down"
    (with ``retry_after_s`` where the destination said when to come back). Exporters
    without it are checked by redelivering their oldest batch.
    """

    def probe(self) -> ExportResult: ...

"""Shared by the exporters that write through an ``Ingestor`` (in-process, no HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.ingest.sdk.exporters._base import ExportResult

if TYPE_CHECKING:
    from driftline.ingest.writer import Ingestor

__all__ = ["ingest"]


def ingest(
    ingestor: Ingestor, events: list[dict[str, Any]], labels: list[dict[str, Any]]
) -> ExportResult:
    """Store a batch; unreachable storage is retryable, any other failure drops the batch."""
    from driftline.errors import StoreError, StoreUnavailableError

    try:
        accepted, rejected = 0, 0
        first: str | None = None
        for items, ingest_items in (
            (events, ingestor.ingest_events),
            (labels, ingestor.ingest_labels),
        ):
            if items:
                report = ingest_items(items)
                accepted += report.accepted
                rejected += len(report.rejected)
                if report.rejected and first is None:
                    bad = report.rejected[0]
                    first = (
                        f"{len(report.rejected)} items rejected, e.g. {bad.field!r}: {bad.reason}"
                    )
    except (StoreUnavailableError, OSError, TimeoutError) as exc:
        return ExportResult.retry(f"{type(exc).__name__}: {exc}")
    except (StoreError, ValueError) as exc:
        return ExportResult.drop_all(
            len(events) + len(labels), "export_failed", f"{type(exc).__name__}: {exc}"
        )
    return ExportResult(
        accepted=accepted, dropped={"invalid_event": rejected} if rejected else {}, error=first
    )

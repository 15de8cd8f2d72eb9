"""Shared by the exporters that write through an ``Ingestor`` (in-process, no HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.sdk.exporters._base import ExportResult

if TYPE_CHECKING:
    from driftline.ingest.writer import Ingestor

__all__ = ["ingest"]


def ingest(
    ingestor: Ingestor, events: list[dict[str, Any]], labels: list[dict[str, Any]]
) -> ExportResult:
    """Store a batch; a storage failure is retryable, only an invalid batch is dropped."""
    from driftline.errors import StoreError, ValidationError
    from driftline.sdk._columns import group_columns, to_columns

    try:
        accepted, rejected = 0, 0
        first: str | None = None
        reports = []
        if events:  # column by column per model, the irregular ones as rows
            groups, irregular = group_columns(events)
            for model, positions in groups.items():
                chosen = events if len(positions) == len(events) else [events[i] for i in positions]
                reports.append(ingestor.ingest_columns(model, to_columns(chosen)))
            if irregular:
                reports.append(ingestor.ingest_events([events[i] for i in irregular]))
        if labels:
            reports.append(ingestor.ingest_labels(labels))
        for report in reports:
            accepted += report.accepted + report.duplicates  # a duplicate is stored already
            rejected += len(report.rejected)
            if report.rejected and first is None:
                bad = report.rejected[0]
                first = f"{len(report.rejected)} items rejected, e.g. {bad.field!r}: {bad.reason}"
    except ValidationError as exc:  # the batch itself is wrong: sending it again cannot help
        return ExportResult.drop_all(
            len(events) + len(labels), "export_failed", f"{type(exc).__name__}: {exc}"
        )
    except (StoreError, OSError, TimeoutError) as exc:
        # unreachable, too many parts, out of memory, a concurrent schema change: the spool
        # keeps the batch and retries it, so none of these loses an event
        return ExportResult.retry(f"{type(exc).__name__}: {exc}")
    return ExportResult(
        accepted=accepted, dropped={"invalid_event": rejected} if rejected else {}, error=first
    )

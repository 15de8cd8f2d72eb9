"""The server side of ingest: validation of events and labels (``validation``, ``events``,
``columnar``, ``frames``), the write path (``writer.Ingestor``) and the training hook
(``references.save_reference``). The SDK that sends to it is ``driftline.sdk``."""

from __future__ import annotations

__all__: list[str] = []

"""One router per resource: ``health`` (open); ``ingest``, ``models`` and ``results`` (under
``/v1``, behind the API key)."""

__all__: list[str] = []

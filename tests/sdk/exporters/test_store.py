"""``StoreExporter``: in-process delivery into a ``Store``."""

from __future__ import annotations

from driftline.sdk import StoreExporter
from driftline.storage import Store
from tests.sdk.conftest import T0, events


def test_store_exporter_is_idempotent_and_counts_invalid_events(chdb_store: Store) -> None:
    exporter = StoreExporter(chdb_store)
    batch = events(300)
    assert exporter.export(batch, []).accepted == 300
    assert exporter.export(batch, []).accepted == 300  # a re-sent batch
    assert chdb_store.events.count("m1") == 300
    bad = {"model": "m1", "event_id": "bad", "features": {"x": "text"}}
    result = exporter.export(
        [bad, *events(1, start=300)],
        [{"model": "m1", "event_id": "e1", "label": 1, "timestamp": T0}],
    )
    assert result.accepted == 2
    assert result.dropped == {"invalid_event": 1}
    assert not result.retryable
    assert "features.x" in (result.error or "")
    exporter.close()
    assert chdb_store.events.count("m1") == 301  # the store is not ours to close

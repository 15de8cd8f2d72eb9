"""``HttpExporter`` against the service over HTTP (uvicorn on loopback)."""

from __future__ import annotations

import numpy as np

from driftline.sdk import HttpExporter
from driftline.storage import Store
from tests.sdk.conftest import T0, events, free_port


def test_http_exporter_delivers_and_resending_is_not_double_counted(
    app_url: str, chdb_store: Store
) -> None:
    exporter = HttpExporter(app_url, api_key="k")
    try:
        batch = events(40)
        batch[0]["features"]["n"] = np.float32(1.5)  # numpy values are serialized
        first = exporter.export(batch, [], dropped={"queue_full": 3})
        assert (first.accepted, first.dropped, first.retryable) == (40, {}, False)
        assert exporter.export(batch, []).accepted == 40
        labels = [{"model": "m1", "event_id": "e1", "label": 1, "timestamp": T0}]
        assert exporter.export([], labels).accepted == 1
        assert chdb_store.events.count("m1") == 40
    finally:
        exporter.close()


def test_http_exporter_counts_per_item_rejections_and_unserializable_events(
    app_url: str, chdb_store: Store
) -> None:
    exporter = HttpExporter(app_url, api_key="k")
    try:
        weird = {"model": "m1", "event_id": "w", "timestamp": T0, "features": {"x": object()}}
        invalid = {"model": "m1", "event_id": "i", "timestamp": "yesterday"}
        result = exporter.export([*events(5), weird, invalid], [])
        assert result.accepted == 5
        assert result.dropped == {"invalid_event": 1, "unserializable": 1}
        assert exporter.last_rejections[0]["field"] == "timestamp"
    finally:
        exporter.close()


def test_http_exporter_splits_a_too_large_batch(app_url: str, chdb_store: Store) -> None:
    exporter = HttpExporter(app_url, api_key="k")  # the app takes at most 50 per request
    try:
        result = exporter.export(events(120), [])
        assert (result.accepted, result.rejected) == (120, 0)
        assert chdb_store.events.count("m1") == 120
    finally:
        exporter.close()


def test_http_exporter_retries_only_what_may_succeed_later(app_url: str) -> None:
    down = HttpExporter(f"http://127.0.0.1:{free_port()}", timeout=2.0)
    bad_key = HttpExporter(app_url, api_key="wrong")
    try:
        result = down.export(events(3), [])
        assert result.retryable
        assert result.accepted == 0
        assert "Connect" in (result.error or "")
        result = bad_key.export(events(3), [])
        assert not result.retryable
        assert result.dropped == {"rejected_by_server": 3}
        assert "401" in (result.error or "")
    finally:
        down.close()
        bad_key.close()


def test_http_exporter_sends_columns_per_model_and_rows_for_the_irregular(
    app_url: str, chdb_store: Store
) -> None:
    exporter = HttpExporter(app_url, api_key="k")
    try:
        batch: list[dict[str, object]] = [*events(3, model="a"), *events(2, model="b", start=3)]
        batch[1]["features"] = {"x": "text", "color": "red"}  # x is numeric: rejected
        batch[3]["features"] = {"x": 7.5, "size": 3}  # a feature the other events lack
        batch.insert(2, {"model": "no such model!", "event_id": "bad"})
        result = exporter.export(batch, [])
        assert (result.accepted, result.dropped) == (4, {"invalid_event": 2})
        assert sorted((r["index"], r["field"]) for r in exporter.last_rejections) == [
            (1, "features.x"), (2, "model")]  # positions in the exported batch
        assert chdb_store.events.count("a") == 2
        stored = chdb_store.events.read("b", ["event_id", "x", "size", "color"])
        assert list(stored["event_id"]) == ["e3", "e4"]
        assert list(stored["x"]) == [7.5, 4.0]
        assert stored["size"][0] == 3.0 and np.isnan(stored["size"][1])
        assert list(stored["color"]) == [None, "red"]
    finally:
        exporter.close()

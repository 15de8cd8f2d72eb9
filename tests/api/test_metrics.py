"""/metrics after real requests: ingest counters, request counters, SDK drop deltas."""

from __future__ import annotations

from fastapi.testclient import TestClient

from driftline import observability as names
from tests.api.conftest import event, sample


def test_counters_after_ingest(client: TestClient) -> None:
    bad = {"event_id": "bad", "features": {"x": "text"}}
    client.post("/v1/events", json={"model": "m1", "events": [event(0), event(1), bad, 7]})
    client.post("/v1/labels", json={"labels": [{"model": "m1", "event_id": "e0", "label": 1}]})
    client.get("/v1/models/m1/schemas")
    client.get("/v1/models/unknown/schemas")
    text = client.get("/metrics").text
    assert sample(text, names.INGESTED_ROWS_TOTAL, kind="events") == 2
    assert sample(text, names.INGESTED_ROWS_TOTAL, kind="labels") == 1
    assert sample(text, names.REJECTED_ROWS_TOTAL, kind="events", reason_field="features") == 1
    assert sample(text, names.REJECTED_ROWS_TOTAL, kind="events", reason_field="item") == 1
    assert sample(text, names.SCHEMA_CHANGES_TOTAL) == 1
    route = "/v1/models/{model}/schemas"  # the template: ids never become series
    assert sample(text, names.HTTP_REQUESTS_TOTAL, method="GET", route=route, status="200") == 1
    assert sample(text, names.HTTP_REQUESTS_TOTAL, method="GET", route=route, status="404") == 1
    assert (
        sample(text, names.HTTP_REQUESTS_TOTAL, method="POST", route="/v1/events", status="200")
        == 1
    )
    assert sample(text, f"{names.HTTP_REQUEST_DURATION_SECONDS}_count", route=route) == 2
    assert "process_cpu_seconds_total" in text


def test_sdk_dropped_deltas_accumulate(client: TestClient) -> None:
    def report(dropped: dict[str, int]) -> int:
        body = {"events": [], "client": {"id": "pod-1", "dropped": dropped}}
        return client.post("/v1/events", json=body).status_code

    assert report({"queue_full": 2}) == 200
    assert report({"queue_full": 3, "spool_full": 1}) == 200
    assert report({}) == 200
    text = client.get("/metrics").text
    assert sample(text, names.SDK_DROPPED_EVENTS_TOTAL, reason="queue_full") == 5
    assert sample(text, names.SDK_DROPPED_EVENTS_TOTAL, reason="spool_full") == 1
    negative = client.post(
        "/v1/events", json={"events": [], "client": {"id": "pod-1", "dropped": {"queue_full": -4}}}
    )
    assert (negative.status_code, negative.json()["field"]) == (422, "client.dropped.queue_full")
    assert (
        sample(client.get("/metrics").text, names.SDK_DROPPED_EVENTS_TOTAL, reason="queue_full")
        == 5
    )

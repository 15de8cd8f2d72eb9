"""POST /v1/events and /v1/labels: one bad item never rejects the batch."""

from __future__ import annotations

from fastapi.testclient import TestClient

from driftline.ingest.store import Store
from tests.api.conftest import MakeClient, event


def test_malformed_event_is_rejected_precisely_and_the_others_are_stored(
    client: TestClient, store: Store
) -> None:
    late = {"model": "m1", "event_id": "e2", "timestamp": "yesterday"}
    events = [event(0), event(1), late, {"event_id": "bad", "features": {"x": "oops"}}]
    response = client.post("/v1/events", json={"model": "m1", "events": [*events, 42]})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {
            "index": 2,
            "field": "timestamp",
            "event_id": "e2",
            "reason": "expected an ISO-8601 timestamp, got 'yesterday'",
        },
        {
            "index": 3,
            "field": "features.x",
            "event_id": "bad",
            "reason": "expected a numeric value (as registered), got 'oops'",
        },
        {"index": 4, "field": "", "event_id": None, "reason": "expected an object, got int"},
    ]
    assert store.count_events("m1") == 2


def test_envelope_model_is_the_default(client: TestClient, store: Store) -> None:
    raw = {"event_id": "a", "timestamp": 1_700_000_000, "features": {"x": 1.0}}
    response = client.post("/v1/events", json={"model": "dflt", "events": [raw]})
    assert response.json()["accepted"] == 1
    assert store.count_events("dflt") == 1


def test_more_than_max_batch_is_413(make_client: MakeClient, store: Store) -> None:
    client = make_client(max_batch=3)
    response = client.post("/v1/events", json={"events": [event(i) for i in range(4)]})
    assert response.status_code == 413
    assert "4 events exceed the limit of 3" in response.json()["error"]
    assert client.post("/v1/labels", json={"labels": [{}] * 4}).status_code == 413
    assert store.count_events("m1") == 0


def test_malformed_envelope_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/events", json={"events": {"not": "a list"}})
    assert response.status_code == 422
    assert response.json()["field"] == "events"
    assert "valid list" in response.json()["error"]
    response = client.post("/v1/events", json={"events": [], "surprise": 1})
    assert (response.status_code, response.json()["field"]) == (422, "surprise")
    response = client.post("/v1/events", content=b"{not json", headers={"content-type": "x"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]
    response = client.post("/v1/events", json={"events": [], "client": {"dropped": {}}})
    assert (response.status_code, response.json()["field"]) == (422, "client.id")


def test_schema_changes_are_reported(client: TestClient) -> None:
    first = client.post("/v1/events", json={"events": [event(0, x=1.0)]}).json()
    assert first["schema_changes"] == [{"model": "m1", "version": 1, "added": ["x"], "removed": []}]
    same = client.post("/v1/events", json={"events": [event(1, x=2.0)]}).json()
    assert same["schema_changes"] == []
    grown = client.post("/v1/events", json={"events": [event(2, x=1.0, city="Oslo")]}).json()
    assert grown["schema_changes"] == [
        {"model": "m1", "version": 2, "added": ["city"], "removed": []}
    ]
    shrunk = client.post("/v1/events", json={"events": [event(3, city="Rome")]}).json()
    assert shrunk["schema_changes"] == [
        {"model": "m1", "version": 3, "added": [], "removed": ["x"]}
    ]


def test_labels(client: TestClient, store: Store) -> None:
    client.post("/v1/events", json={"events": [event(0), event(1)]})
    labels = [
        {"model": "m1", "event_id": "e0", "label": 1},
        {"model": "m1", "label": 0},
        {"model": "m1", "event_id": "e1", "label": "late"},
    ]
    response = client.post("/v1/labels", json={"labels": labels})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "event_id")]
    joined = store.read_labeled("m1")
    assert sorted(joined["event_id"]) == ["e0", "e1"]


def test_openapi_describes_the_envelopes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EventsIn")
    events_in = spec["components"]["schemas"]["EventsIn"]
    assert events_in["required"] == ["events"]
    assert events_in["properties"]["events"]["items"]["title"] == "Event"
    assert "ClientReport" in spec["components"]["schemas"]
    assert "413" in spec["paths"]["/v1/events"]["post"]["responses"]

"""POST /v1/events and /v1/labels: one bad item never rejects the batch."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from driftline.storage import Store
from tests.api.conftest import T0, MakeClient, event


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
    assert store.events.count("m1") == 2


def test_envelope_model_is_the_default(client: TestClient, store: Store) -> None:
    raw = {"event_id": "a", "timestamp": 1_700_000_000, "features": {"x": 1.0}}
    response = client.post("/v1/events", json={"model": "dflt", "events": [raw]})
    assert response.json()["accepted"] == 1
    assert store.events.count("dflt") == 1


def test_more_than_max_batch_is_413(make_client: MakeClient, store: Store) -> None:
    client = make_client(max_batch=3)
    response = client.post("/v1/events", json={"events": [event(i) for i in range(4)]})
    assert response.status_code == 413
    assert "4 events exceed the limit of 3" in response.json()["error"]
    assert client.post("/v1/labels", json={"labels": [{}] * 4}).status_code == 413
    assert store.events.count("m1") == 0


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
    joined = store.labels.read_labeled("m1")
    assert sorted(joined["event_id"]) == ["e0", "e1"]


def test_openapi_describes_the_envelopes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EventsIn")
    events_in = spec["components"]["schemas"]["EventsIn"]
    assert events_in["oneOf"] == [{"required": ["events"]}, {"required": ["columns", "model"]}]
    assert events_in["properties"]["columns"]["title"] == "EventColumns"
    assert events_in["properties"]["events"]["items"]["title"] == "Event"
    assert "ClientReport" in spec["components"]["schemas"]
    assert "413" in spec["paths"]["/v1/events"]["post"]["responses"]


def test_columnar_envelope_stores_the_good_rows(client: TestClient, store: Store) -> None:
    columns = {
        "event_id": ["c0", "c1", "c2", "c3"],
        "timestamp": [T0, T0 + 1.5, 1_700_000_000_000, T0 + 3],
        "model_version": "v1",
        "features": {"x": [1.0, None, 3.0, "oops"], "color": ["red", "blue", None, "red"]},
        "prediction": [0.5, None, 0.5, 0.5],
    }
    response = client.post("/v1/events", json={"model": "cm", "columns": columns})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"], r["event_id"]) for r in body["rejected"]] == [
        (2, "timestamp", "c2"), (3, "features.x", "c3")]
    assert body["schema_changes"] == [
        {"model": "cm", "version": 1, "added": ["color", "x"], "removed": []}]
    assert sorted(store.events.read("cm", ["event_id"])["event_id"]) == ["c0", "c1"]
    again = client.post("/v1/events", json={"model": "cm", "columns": columns}).json()
    assert again["accepted"] == 2
    assert store.events.count("cm") == 2


def test_columnar_envelope_errors(make_client: MakeClient, store: Store) -> None:
    client = make_client(max_batch=3)
    columns = {"timestamp": [T0, T0], "features": {"x": [1.0, 2.0]}}
    for body, field in [
        ({"model": "cm", "columns": columns, "events": []}, "columns"),
        ({"model": "cm"}, "events"),
        ({"columns": columns}, "model"),
        ({"model": "cm", "columns": {"timestamp": [T0], "features": {"x": [1.0, 2.0]}}},
         "columns.features.x"),
        ({"model": "cm", "columns": {"features": {"x": 1.0}}}, "columns.features.x"),
        ({"model": "cm", "columns": {"surprise": [1]}}, "columns.surprise"),
        ({"model": "cm", "columns": [1, 2]}, "columns"),
        ({"model": "not a model", "columns": columns}, "model"),
    ]:
        response = client.post("/v1/events", json=body)
        assert (response.status_code, response.json()["field"]) == (422, field), body
    response = client.post("/v1/events", json={"model": "cm", "columns": {
        "features": {"x": [1.0, 2.0, 3.0, 4.0]}}})
    assert response.status_code == 413
    assert "4 events exceed the limit of 3" in response.json()["error"]
    assert store.events.count("cm") == 0


def _binary(columns: dict[str, object], model: str = "m") -> bytes:
    from driftline.sdk._json import dumps
    from driftline.wire import encode_binary

    return encode_binary(model, columns, {"id": "t", "dropped": {"queue_full": 2}}, dumps)


def test_binary_columns_store_the_good_rows(client: TestClient, store: Store) -> None:
    from driftline.wire import BINARY_CONTENT_TYPE

    body = _binary({"event_id": ["a", "b", "c"], "timestamp": [T0, T0 + 1, T0 + 2],
                    "prediction": [0.5, None, 0.25],
                    "features": {"x": [1.0, None, float("inf")], "c": ["u", None, "w"]}})
    response = client.post("/v1/events", content=body,
                           headers={"content-type": BINARY_CONTENT_TYPE})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 2
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(2, "features.x")]
    cols = store.events.read("m", ["x", "c", "prediction"])
    assert list(cols["c"]) == ["u", None]
    assert cols["x"][0] == 1.0 and np.isnan(cols["x"][1]) and np.isnan(cols["prediction"][1])
    metrics = client.get("/metrics").text
    assert 'driftline_sdk_dropped_events_total{reason="queue_full"} 2.0' in metrics


def test_malformed_binary_bodies_are_422(client: TestClient) -> None:
    from driftline.wire import BINARY_CONTENT_TYPE

    good = _binary({"event_id": ["a"], "timestamp": [T0], "features": {"x": [1.0]}})
    for body, field in [(b"nope" + good[4:], ""), (good[:-3], ""),
                        (good.replace(b'{"f64":1}', b'{"f64":7}'), "columns.features.x")]:
        response = client.post("/v1/events", content=body,
                               headers={"content-type": BINARY_CONTENT_TYPE})
        assert response.status_code == 422, body
        assert response.json()["field"] == field

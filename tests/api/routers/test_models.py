"""GET /v1/models, /v1/models/{model}/schemas and /v1/models/{model}/events."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import T0, event


def test_models_and_schema_versions(client: TestClient) -> None:
    assert client.get("/v1/models").json() == []
    client.post("/v1/events", json={"events": [event(0, x=1.0)]})
    client.post("/v1/events", json={"events": [event(1, x=1.0, city="Oslo")]})
    [model] = client.get("/v1/models").json()
    assert (model["name"], model["schema_version"], model["n_features"]) == ("m1", 2, 2)
    assert model["created_at"] > 0
    versions = client.get("/v1/models/m1/schemas").json()
    assert [(v["version"], v["features"], v["added"], v["removed"]) for v in versions] == [
        (1, {"x": "numeric"}, ["x"], []),
        (2, {"city": "categorical", "x": "numeric"}, ["city"], []),
    ]


def test_a_declared_removal_is_a_schema_version(client: TestClient) -> None:
    client.post("/v1/events", json={"events": [event(0, x=1.0, city="Oslo")]})
    response = client.post("/v1/models/m1/schemas/removals", json={"features": ["city"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["features"], body["removed"]) == (2, {"x": "numeric"},
                                                                     ["city"])
    # a feature that never existed, an unknown model and an empty list are refused
    assert client.post("/v1/models/m1/schemas/removals",
                       json={"features": ["nope"]}).status_code == 404
    assert client.post("/v1/models/zz/schemas/removals",
                       json={"features": ["x"]}).status_code == 404
    empty = client.post("/v1/models/m1/schemas/removals", json={"features": []})
    assert (empty.status_code, empty.json()["field"]) == (422, "features")
    # a value sent later adds it again
    client.post("/v1/events", json={"events": [event(1, x=1.0, city="Rome")]})
    assert client.get("/v1/models/m1/schemas").json()[-1]["added"] == ["city"]


def test_unknown_model_is_404_and_bad_name_is_422(client: TestClient) -> None:
    response = client.get("/v1/models/nope/schemas")
    assert response.status_code == 404
    assert "nope" in response.json()["error"]
    assert client.get("/v1/models/nope/events").status_code == 404
    response = client.get("/v1/models/bad%20name/events")
    assert (response.status_code, response.json()["field"]) == (422, "model")


def test_events_window_columns_and_limit(client: TestClient) -> None:
    events = [event(i, x=float(i), color="red") for i in range(10)]
    events[3]["features"] = {"x": None, "color": "blue"}
    events[4]["tags"] = {"region": "eu"}
    client.post("/v1/events", json={"events": events})

    everything = client.get("/v1/models/m1/events").json()
    assert everything["columns"] == ["ts", "event_id", "prediction", "color", "x"]
    assert [r["event_id"] for r in everything["rows"]] == [f"e{i}" for i in range(10)]
    assert everything["rows"][3] == {
        "ts": T0 + 3,
        "event_id": "e3",
        "prediction": 0.5,
        "x": None,
        "color": "blue",
    }
    assert everything["truncated"] is False

    iso_start = "2023-11-14T22:13:22Z"  # T0 + 2
    window = client.get(
        "/v1/models/m1/events", params={"start": iso_start, "end": T0 + 5, "columns": "x,tags"}
    ).json()
    assert window["rows"] == [
        {"x": 2.0, "tags": None},
        {"x": None, "tags": None},
        {"x": 4.0, "tags": {"region": "eu"}},
    ]

    limited = client.get("/v1/models/m1/events", params={"limit": 4}).json()
    assert [r["event_id"] for r in limited["rows"]] == ["e0", "e1", "e2", "e3"]
    assert limited["truncated"] is True
    latest = client.get("/v1/models/m1/events", params={"limit": 3, "order": "desc"}).json()
    assert [r["event_id"] for r in latest["rows"]] == ["e9", "e8", "e7"]

    response = client.get("/v1/models/m1/events", params={"start": "last tuesday"})
    assert (response.status_code, response.json()["field"]) == (422, "start")
    response = client.get("/v1/models/m1/events", params={"columns": "x,nosuch"})
    assert (response.status_code, response.json()["field"]) == (422, "columns")

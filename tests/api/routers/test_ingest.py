"""POST /v1/events and /v1/labels: one bad item never rejects the batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from driftline.api import create_app
from driftline.storage import Store
from tests.api.conftest import T0, MakeClient, event, settings
from tests.conftest import open_test_store


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
    # a feature the batch does not carry has missing values there: no removal (issue 7, #4)
    partial = client.post("/v1/events", json={"events": [event(3, city="Rome")]}).json()
    assert partial["schema_changes"] == []


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
    assert events_in["oneOf"] == [
        {"required": ["events"]},
        {"required": ["columns", "model"], "properties": {"model": {"type": "string"}}}]
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
    assert (again["accepted"], again["duplicates"]) == (0, 2)  # a retry stores nothing new
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


# -- hostile names (issue 7, finding 1) ---------------------------------------------------
CONTROL_CHARACTERS = [*range(0x20), 0x7F]


def _one_event(model: str = "m", feature: str = "x", tag: str = "t") -> dict[str, object]:
    return {"model": model, "event_id": "e", "timestamp": T0, "features": {feature: 1.0},
            "tags": {tag: "v"}}


@pytest.fixture(scope="module")
def shared(chdb_path: Path) -> Iterator[tuple[TestClient, Store]]:
    """One app over one embedded store for the many cheap cases below (names never reach
    the store, so one engine is enough)."""
    store = open_test_store("chdb", chdb_path)
    with TestClient(create_app(settings(), store=store)) as client:
        yield client, store
    store.drop_database()
    store.close()


@pytest.mark.parametrize("code", CONTROL_CHARACTERS, ids=lambda c: f"0x{c:02x}")
@pytest.mark.parametrize("where", ["model", "feature", "tag"])
def test_control_characters_in_names_are_rejected_per_event_naming_the_field(
    shared: tuple[TestClient, Store], code: int, where: str
) -> None:
    client, store = shared
    bad = ("m", "x", "t")[("model", "feature", "tag").index(where)] + chr(code)
    names = {"model": "m", "feature": "x", "tag": "t", where: bad}
    good = {**_one_event(), "event_id": f"ok-{where}-{code}"}  # the store is shared
    rows = client.post("/v1/events", json={"events": [
        _one_event(names["model"], names["feature"], names["tag"]), good]})
    assert rows.status_code == 200, rows.text
    field = {"model": "model", "feature": f"features.{bad}", "tag": "tags"}[where]
    assert [(r["index"], r["field"]) for r in rows.json()["rejected"]] == [(0, field)]
    assert rows.json()["accepted"] == 1

    columns: dict[str, object] = {"event_id": ["c0", "c1"], "timestamp": [T0, T0 + 1],
                                  "features": {names["feature"]: [1.0, None]},
                                  "tags": [{names["tag"]: "v"}, None]}
    response = client.post("/v1/events", json={"model": names["model"], "columns": columns})
    if where == "model":  # the batch's one model: the whole batch is refused, precisely
        assert (response.status_code, response.json()["field"]) == (422, "model")
    else:
        assert response.status_code == 200, response.text
        assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(0, field)]
    assert client.get("/v1/models/m/events").status_code == 200
    assert [m.name for m in store.events.list_models()] == ["m"]
    assert set(store.events.known_kinds("m")) == {"x"}


@pytest.mark.parametrize("features", [
    {"x": 1.0, "x\n": 2.0}, {"x": 1.0, "x ": 2.0}, {"x": 1.0, "X": 2.0}, {"x": 1.0, "\u0445": 2.0},
    {"x": 1.0, "f_x": 2.0}, {"x": 1.0, "x\x00": 2.0}, {"x": 1.0, "ts": 2.0},
])
def test_a_poisoned_write_cannot_make_a_model_unreadable(
    client: TestClient, store: Store, features: dict[str, float]
) -> None:
    client.post("/v1/events", json={"events": [event(0, model="m", x=0.0)]})
    for body in ({"events": [{**event(1, model="m"), "features": features}]},
                 {"model": "m", "columns": {"event_id": ["c"], "timestamp": [T0],
                                            "features": {k: [v] for k, v in features.items()}}}):
        response = client.post("/v1/events", json=body)
        assert response.status_code in (200, 422), response.text
    read = client.get("/v1/models/m/events")
    assert read.status_code == 200, read.text
    assert {row["event_id"] for row in read.json()["rows"]} >= {"e0"}
    assert client.get("/v1/models/m/schemas").status_code == 200


@pytest.mark.parametrize("path", ["/v1/models/m%0A/events", "/v1/models/m%00/schemas",
                                  "/v1/models/m%0A/schemas", "/v1/models/%20m/events"])
def test_names_in_paths_match_whole(client: TestClient, path: str) -> None:
    client.post("/v1/events", json={"events": [event(0, model="m")]})
    response = client.get(path)
    assert (response.status_code, response.json()["field"]) == (422, "model"), response.text


def test_label_model_names_match_whole(client: TestClient) -> None:
    labels = [{"model": "m1\n", "event_id": "e0", "label": 1}]
    body = client.post("/v1/labels", json={"labels": labels}).json()
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(0, "model")]


# -- NaN / Infinity tokens (finding 7) ----------------------------------------------------
def test_nan_is_missing_and_infinity_rejects_its_event_in_json_rows(
    client: TestClient, store: Store
) -> None:
    raw = (b'{"model": "m", "events": ['
           b'{"event_id": "a", "timestamp": 1700000000, "features": {"x": NaN, "y": 1},'
           b' "prediction": NaN, "latency_ms": NaN},'
           b'{"event_id": "b", "timestamp": 1700000001, "features": {"x": Infinity, "y": 2}},'
           b'{"event_id": "c", "timestamp": 1700000002, "features": {"x": -Infinity}},'
           b'{"event_id": "d", "timestamp": 1700000003, "features": {"x": 4.0, "y": null},'
           b' "note": "NaN inside a string stays text"}]}')
    raw = raw.replace(b', "note": "NaN inside a string stays text"', b"")
    response = client.post("/v1/events", content=raw,
                           headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"], r["event_id"]) for r in body["rejected"]] == [
        (1, "features.x", "b"), (2, "features.x", "c")]
    cols = store.events.read("m", ["event_id", "x", "y", "prediction"])
    assert list(cols["event_id"]) == ["a", "d"]
    assert np.isnan(cols["x"][0]) and cols["x"][1] == 4.0 and np.isnan(cols["y"][1])


def test_nan_is_missing_and_infinity_rejects_its_row_in_json_columns(
    client: TestClient, store: Store
) -> None:
    raw = (b'{"model": "m", "columns": {"event_id": ["a", "b", "c"],'
           b' "timestamp": [1700000000, 1700000001, 1700000002],'
           b' "prediction": [NaN, 0.5, 0.5], "features": {"x": [NaN, Infinity, 3],'
           b' "c": ["NaN", "Infinity", null]}}}')
    response = client.post("/v1/events", content=raw,
                           headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "features.x")]
    cols = store.events.read("m", ["event_id", "x", "c"])
    assert list(cols["event_id"]) == ["a", "c"]
    assert list(cols["c"]) == ["NaN", None]  # the strings are text, not numbers


def test_a_tolerant_parse_is_still_strict_about_everything_else(client: TestClient) -> None:
    for raw in (b'{"events": [NaN', b'{"events": [{"features": {"x": nan}}]}',
                b'{"events": [{"features": {"x": "\\ud800"}}], "m": NaN}',
                b'{"events": [{"features": {"x": 1e999}}]}'):
        response = client.post("/v1/events", content=raw,
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, (raw, response.text)
        assert "not valid JSON" in response.json()["error"]


# -- limits (finding 6) -------------------------------------------------------------------
def test_a_body_over_the_limit_is_413_before_it_is_read(
    make_client: MakeClient, store: Store
) -> None:
    client = make_client(max_body_bytes=1000)
    big = {"events": [event(i) for i in range(40)]}
    response = client.post("/v1/events", json=big)
    assert response.status_code == 413, response.text
    assert "DRIFTLINE_MAX_BODY_BYTES" in response.json()["error"]
    assert response.headers["x-request-id"] == response.json()["request_id"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield b'{"events": ['
        for i in range(40):
            yield orjson.dumps(event(i)) + b","
        yield orjson.dumps(event(41)) + b"]}"

    streamed = client.post("/v1/events", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    assert "1000 bytes" in streamed.json()["error"]
    assert store.events.count("m1") == 0
    small = client.post("/v1/events", json={"events": [event(0)]})
    assert small.status_code == 200 and small.json()["accepted"] == 1


def test_features_past_the_per_model_limit_reject_their_events_naming_them(
    make_client: MakeClient, store: Store
) -> None:
    client = make_client(max_features=3)
    client.post("/v1/events", json={"events": [event(0, model="m", a=1.0, b=2.0)]})
    events = [event(1, model="m", a=1.0, c=1.0), event(2, model="m", a=1.0, d=1.0),
              event(3, model="m", b=1.0), event(4, model="m", c=2.0, e=1.0)]
    body = client.post("/v1/events", json={"events": events}).json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "features.d"), (3, "features.e")]
    assert "DRIFTLINE_MAX_FEATURES" in body["rejected"][0]["reason"]
    assert set(store.events.known_kinds("m")) == {"a", "b", "c"}

    columns = {"event_id": ["k0", "k1", "k2"], "timestamp": [T0, T0 + 1, T0 + 2],
               "features": {"a": [1.0, 2.0, 3.0], "f": [None, 1.0, None], "g": ["u", None, None]}}
    body = client.post("/v1/events", json={"model": "m", "columns": columns}).json()
    assert body["accepted"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (0, "features.g"), (1, "features.f")]
    assert set(store.events.known_kinds("m")) == {"a", "b", "c"}


def test_string_values_past_the_limit_reject_their_event_naming_the_field(
    make_client: MakeClient, store: Store
) -> None:
    client = make_client(max_string_length=8)
    long = "x" * 9
    events = [event(0, model="m", color="red"), event(1, model="m", color=long),
              {**event(2, model="m", color="ok"), "prediction": long},
              {**event(3, model="m", color="ok"), "tags": {"t": long}}]
    body = client.post("/v1/events", json={"events": events}).json()
    assert body["accepted"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "features.color"), (2, "prediction"), (3, "tags.t")]
    assert "DRIFTLINE_MAX_STRING_LENGTH" in body["rejected"][0]["reason"]
    columns = {"event_id": ["c0", "c1", "c2"], "timestamp": [T0, T0 + 1, T0 + 2],
               "features": {"color": ["red", long, None]},
               "prediction_label": [None, None, long]}
    body = client.post("/v1/events", json={"model": "m", "columns": columns}).json()
    assert body["accepted"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "features.color"), (2, "prediction_label")]
    labels = [{"model": "m", "event_id": "e0", "label": long}]
    body = client.post("/v1/labels", json={"labels": labels}).json()
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(0, "label")]


# -- idempotency on the event id (finding 8) ----------------------------------------------
def test_an_event_id_sent_again_is_stored_once_whatever_its_timestamp(
    client: TestClient, store: Store
) -> None:
    first = client.post("/v1/events", json={"events": [event(0, model="m")]}).json()
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    moved = {**event(0, model="m"), "timestamp": T0 + 3600}
    untimed = {k: v for k, v in event(0, model="m").items() if k != "timestamp"}
    again = client.post("/v1/events", json={"events": [moved, untimed, event(0, model="m")]})
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 3)
    columns = {"event_id": ["e0", "n1", "n1"], "timestamp": [T0 + 5, T0 + 6, T0 + 7],
               "features": {"x": [1.0, 2.0, 3.0]}}
    body = client.post("/v1/events", json={"model": "m", "columns": columns}).json()
    assert (body["accepted"], body["duplicates"]) == (1, 2)
    read = client.get("/v1/models/m/events").json()
    assert [(r["event_id"], r["ts"]) for r in read["rows"]] == [("e0", T0), ("n1", T0 + 6)]


# -- the OpenAPI schema states the rules (finding 10) -------------------------------------
def test_openapi_states_the_name_rules_the_validation_enforces(client: TestClient) -> None:
    import re

    from driftline.ingest.validation import MODEL_NAME, MODEL_NAME_PATTERN

    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    model = schemas["EventsIn"]["properties"]["model"]
    string = next(s for s in model["anyOf"] if s.get("type") == "string")
    assert (string["pattern"], string["maxLength"]) == (MODEL_NAME_PATTERN, 64)
    # JSON Schema's `$` is the end of the text: the same rule as MODEL_NAME's `\Z`
    for name in ("m", "m-1_x", "", "m\n", "-m", "m" * 65, "m" * 64):
        ecma_like = re.fullmatch(MODEL_NAME_PATTERN.strip("^$"), name) is not None
        assert ecma_like == (MODEL_NAME.fullmatch(name) is not None), name
    columns_alternative = schemas["EventsIn"]["oneOf"][1]
    assert columns_alternative["required"] == ["columns", "model"]
    assert columns_alternative["properties"]["model"]["type"] == "string"
    label = schemas["LabelsIn"]["properties"]["labels"]["items"]
    assert label["type"] == "object" and label["properties"]["model"]["pattern"]
    event_schema = schemas["EventsIn"]["properties"]["events"]["items"]
    assert event_schema["properties"]["features"]["propertyNames"]["pattern"]
    assert event_schema["properties"]["tags"]["propertyNames"]["pattern"]
    for path in ("/v1/models/{model}/events", "/v1/models/{model}/schemas"):
        (param,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "model"]
        assert param["schema"]["pattern"] == MODEL_NAME_PATTERN


@pytest.mark.parametrize("body", [{"model": "", "events": [event(0)]},
                                  {"model": None, "columns": {"features": {"x": [1.0]}}},
                                  {"model": "m\n", "events": []}])
def test_what_the_spec_refuses_is_refused(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/events", json=body)
    assert (response.status_code, response.json()["field"]) == (422, "model"), response.text
    assert "model name" in response.json()["error"]

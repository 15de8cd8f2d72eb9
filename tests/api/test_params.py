"""Time query parameters: epoch seconds or ISO-8601 (UTC when naive); garbage names the field."""

from __future__ import annotations

import math
from typing import Any

import pytest

from driftline.api import create_app
from driftline.api.params import End, Start, to_epoch
from driftline.storage import Store
from tests.api.conftest import T0, TestClient, settings

ISO_T0 = "2023-11-14T22:13:20"  # T0 in UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (T0, float(T0)),
        (T0 + 0.25, T0 + 0.25),
        (str(T0), float(T0)),
        (f" {T0}.5 ", T0 + 0.5),
        ("-1", -1.0),
        (ISO_T0 + "Z", float(T0)),
        (ISO_T0 + "+00:00", float(T0)),
        (ISO_T0, float(T0)),  # naive is UTC, not local time
        (ISO_T0 + "+01:00", T0 - 3600.0),
        (ISO_T0 + ".5Z", T0 + 0.5),
        ("2023-11-14", float(T0 - (22 * 3600 + 13 * 60 + 20))),
    ],
)
def test_to_epoch_parses_epoch_and_iso(value: Any, expected: float | None) -> None:
    assert to_epoch(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("last tuesday", "expected epoch seconds or an ISO-8601 time, got 'last tuesday'"),
        ("2023-13-01", "got '2023-13-01'"),
        (True, "got 'True'"),  # a bool is not a time
        ("nan", "finite"),
        (math.inf, "finite"),
        ("-inf", "finite"),
    ],
)
def test_to_epoch_rejects_garbage(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_epoch(value)


@pytest.fixture
def window_client(store: Store) -> TestClient:
    app = create_app(settings(), store=store)

    @app.get("/window")
    def window(start: Start = None, end: End = None) -> dict[str, float | None]:
        return {"start": start, "end": end}

    return TestClient(app)


def test_query_parameters_parse_both_forms(window_client: TestClient) -> None:
    response = window_client.get("/window", params={"start": ISO_T0 + "Z", "end": T0 + 60})
    assert response.json() == {"start": float(T0), "end": float(T0 + 60)}
    assert window_client.get("/window").json() == {"start": None, "end": None}
    assert window_client.get("/window", params={"start": ""}).json()["start"] is None


@pytest.mark.parametrize("field", ["start", "end"])
def test_garbage_is_422_naming_the_field(window_client: TestClient, field: str) -> None:
    response = window_client.get("/window", params={field: "soon"})
    body = response.json()
    assert (response.status_code, body["field"]) == (422, field)
    assert "expected epoch seconds or an ISO-8601 time, got 'soon'" in body["error"]


def test_the_bounds_are_documented_in_openapi(window_client: TestClient) -> None:
    spec = window_client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/window"]["get"]["parameters"]}
    assert "inclusive lower bound" in params["start"]["description"]
    assert "exclusive upper bound" in params["end"]["description"]
    assert "ISO-8601" in params["end"]["description"]

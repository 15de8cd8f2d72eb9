"""API keys: off when none are configured; required on every /v1 route otherwise."""

from __future__ import annotations

import pytest

from tests.api.conftest import MakeClient

V1_ROUTES = ["/v1/models", "/v1/results", "/v1/models/m1/schemas"]


def test_auth_off_without_keys(make_client: MakeClient) -> None:
    client = make_client()
    assert client.get("/v1/models").status_code == 200
    assert client.post("/v1/events", json={"events": []}).status_code == 200


@pytest.mark.parametrize("path", V1_ROUTES)
def test_missing_or_wrong_key_is_401(make_client: MakeClient, path: str) -> None:
    client = make_client(api_keys="k1, k2")
    missing = client.get(path)
    assert missing.status_code == 401
    assert "missing API key" in missing.json()["error"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = client.get(path, headers={"Authorization": "Bearer k3"})
    assert (wrong.status_code, wrong.json()["error"]) == (
        401,
        "invalid API key (check DRIFTLINE_API_KEYS on the server)",
    )
    assert client.get(path, headers={"X-API-Key": "k1 "}).status_code == 401
    assert client.get(path, headers={"Authorization": "Basic k1"}).status_code == 401
    assert client.get(path, headers={"X-API-Key": "ké".encode()}).status_code == 401


def test_either_header_with_any_configured_key(make_client: MakeClient) -> None:
    client = make_client(api_keys="k1,k2")
    assert client.get("/v1/models", headers={"Authorization": "Bearer k2"}).status_code == 200
    assert client.get("/v1/models", headers={"authorization": "bearer k1"}).status_code == 200
    assert client.get("/v1/models", headers={"X-API-Key": "k1"}).status_code == 200
    response = client.post("/v1/events", json={"events": []}, headers={"X-API-Key": "k2"})
    assert response.status_code == 200
    assert client.post("/v1/labels", json={"labels": []}).status_code == 401


def test_health_and_metrics_stay_open(make_client: MakeClient) -> None:
    client = make_client(api_keys="k1")
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path

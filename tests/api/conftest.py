"""API fixtures: a TestClient on ``create_app`` over the shared ``store`` fixture."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftline.api import create_app
from driftline.settings import Settings
from driftline.storage import Store

with warnings.catch_warnings():
    # starlette asks for httpx2 on import; the client works the same with httpx
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

T0 = 1_700_000_000

MakeClient = Callable[..., TestClient]


def settings(**overrides: Any) -> Settings:
    # the tests send events of 2023 (T0): no retention horizon
    values: dict[str, Any] = {"api_keys": "", "_env_file": None, "retention_s": 0}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_client(store: Store) -> Iterator[MakeClient]:
    """``make_client(api_keys="k", max_batch=10)``: a client on an app over ``store``."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(settings(**overrides), store=store))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def event(i: int, model: str = "m1", **features: Any) -> dict[str, Any]:
    return {
        "model": model,
        "event_id": f"e{i}",
        "timestamp": T0 + i,
        "features": features or {"x": float(i), "color": "red"},
        "prediction": 0.5,
    }


def metric_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics page by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(text: str, name: str, **labels: str) -> float:
    return metric_samples(text).get((name, frozenset(labels.items())), 0.0)

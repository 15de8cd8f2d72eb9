"""@monitor: one line logs every call of a predict function, and never breaks it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

import driftline
from driftline.sdk import Client
from tests.sdk.conftest import RecordingExporter


@pytest.fixture
def rec_client() -> Any:
    rec = RecordingExporter()
    client = Client(rec, flush_interval_s=60)
    yield rec, client
    client.shutdown()


def test_a_dict_argument_and_the_output_are_logged(rec_client: Any) -> None:
    rec, client = rec_client

    @driftline.monitor("fraud", client=client, model_version="v3")
    def predict(features: Mapping[str, float]) -> float:
        return features["amount"] / 100

    assert predict({"amount": 50.0, "age": 30.0}) == 0.5
    assert predict.__name__ == "predict"
    assert client.flush(5)
    (event,) = rec.events
    assert event["model"] == "fraud"
    assert event["model_version"] == "v3"
    assert event["features"] == {"amount": 50.0, "age": 30.0}
    assert event["prediction"] == 0.5
    assert event["latency_ms"] >= 0


def test_keyword_arguments_methods_and_a_prediction_mapper(rec_client: Any) -> None:
    rec, client = rec_client

    class Model:
        @driftline.monitor("churn", client=client, prediction=lambda out: out["p"])
        def predict(self, *, tenure: float, plan: str) -> dict[str, float]:
            return {"p": 0.25}

        @driftline.monitor("churn", client=client, feature_names=["tenure"])
        def predict_row(self, row: Mapping[str, Any]) -> float:
            return 0.75

    model = Model()
    assert model.predict(tenure=3.0, plan="pro") == {"p": 0.25}
    assert model.predict_row({"tenure": 4.0, "ignored": "x"}) == 0.75
    assert client.flush(5)
    assert [(e["features"], e["prediction"]) for e in rec.events] == [
        ({"tenure": 3.0, "plan": "pro"}, 0.25),
        ({"tenure": 4.0}, 0.75),
    ]


def test_batch_mode_logs_one_event_per_row(rec_client: Any) -> None:
    rec, client = rec_client

    @driftline.monitor("m", client=client, batch=True, feature_names=["a", "b"])
    def predict_many(rows: list[list[float]]) -> list[float]:
        return [a + b for a, b in rows]

    assert predict_many([[1.0, 2.0], [3.0, 4.0]]) == [3.0, 7.0]
    assert client.flush(5)
    assert [(e["features"], e["prediction"]) for e in rec.events] == [
        ({"a": 1.0, "b": 2.0}, 3.0),
        ({"a": 3.0, "b": 4.0}, 7.0),
    ]


def test_exceptions_pass_through_and_logging_failures_are_swallowed(rec_client: Any) -> None:
    rec, client = rec_client

    @driftline.monitor("m", client=client)
    def broken(features: Mapping[str, float]) -> float:
        raise KeyError("amount")

    with pytest.raises(KeyError, match="amount"):
        broken({"x": 1.0})

    @driftline.monitor("m", client=client, prediction=lambda out: 1 / 0)
    def fine(features: Mapping[str, float]) -> str:
        return "ok"

    @driftline.monitor("m", client=client)
    def no_features(a: int, b: int) -> int:
        return a + b

    assert fine({"x": 1.0}) == "ok"
    assert no_features(1, 2) == 3
    assert client.flush(5)
    assert rec.events == []


def test_async_functions_and_the_default_client() -> None:
    @driftline.monitor("m")  # the process-wide client, a NoopClient until init
    async def predict(features: Mapping[str, float]) -> float:
        await asyncio.sleep(0)
        return 0.5

    assert asyncio.run(predict({"x": 1.0})) == 0.5

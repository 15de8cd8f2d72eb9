"""The service metrics: names dashboards rely on, labels bounded, nothing but prometheus."""

from __future__ import annotations

import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from driftline import observability
from driftline.observability import Metrics, reason_field


def _samples(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_names_are_what_prometheus_exposes() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.observe_request("GET", "/v1/models", 200, 0.01)
    metrics.count_ingested("events", accepted=3, rejected_fields=["features.x"], schema_changes=1)
    metrics.count_sdk_dropped({"queue_full": 1})
    names = {name for name, _ in _samples(metrics.registry)}
    for constant in (
        observability.HTTP_REQUESTS_TOTAL,
        observability.INGESTED_ROWS_TOTAL,
        observability.REJECTED_ROWS_TOTAL,
        observability.SDK_DROPPED_EVENTS_TOTAL,
        observability.SCHEMA_CHANGES_TOTAL,
    ):
        assert constant in names, constant
    assert f"{observability.HTTP_REQUEST_DURATION_SECONDS}_bucket" in names
    assert set(observability.__all__) <= set(dir(observability))


def test_each_app_can_have_its_own_registry() -> None:
    first, second = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())
    first.count_ingested("labels", accepted=2)
    assert (
        _samples(first.registry)[
            (observability.INGESTED_ROWS_TOTAL, frozenset({("kind", "labels")}))
        ]
        == 2
    )
    assert (observability.INGESTED_ROWS_TOTAL, frozenset({("kind", "labels")})) not in _samples(
        second.registry
    )
    assert isinstance(Metrics().registry, CollectorRegistry)


def test_client_supplied_labels_are_bounded() -> None:
    assert reason_field("features.dep_delay") == "features"
    assert reason_field("") == "item"
    assert reason_field("prediction.late") == "prediction"
    metrics = Metrics(CollectorRegistry())
    metrics.count_sdk_dropped(
        {"queue_full": 2, "Queue_Full": 1, "x" * 40: 5, "a b": 1, "spool_full": 0}
    )
    samples = _samples(metrics.registry)
    total = observability.SDK_DROPPED_EVENTS_TOTAL
    assert samples[(total, frozenset({("reason", "queue_full")}))] == 3
    assert samples[(total, frozenset({("reason", "other")}))] == 6
    assert (total, frozenset({("reason", "spool_full")})) not in samples


def test_importing_it_does_not_import_fastapi() -> None:
    code = (
        "import sys, driftline.observability; "
        "sys.exit('fastapi' in sys.modules or 'starlette' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_engine_metrics_names_and_labels() -> None:
    from driftline.observability import (
        ENGINE_FAILURES_TOTAL,
        ENGINE_LAG_SECONDS,
        ENGINE_WINDOWS_EVALUATED_TOTAL,
        EngineMetrics,
    )

    metrics = EngineMetrics(CollectorRegistry())
    metrics.evaluated("fraud-ks", "alert", "labels")
    metrics.lag("fraud-ks", -5.0)  # a clock a little ahead is no negative lag
    metrics.failed("fraud-ks")
    samples = _samples(metrics.registry)
    assert samples[(ENGINE_WINDOWS_EVALUATED_TOTAL, frozenset(
        {("monitor", "fraud-ks"), ("status", "alert"), ("reason", "labels")}))] == 1
    assert samples[(ENGINE_LAG_SECONDS, frozenset({("monitor", "fraud-ks")}))] == 0.0
    assert samples[(ENGINE_FAILURES_TOTAL, frozenset({("monitor", "fraud-ks")}))] == 1

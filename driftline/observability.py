"""The service's own Prometheus metrics: names in one place, created on a registry you pass.

Dashboards import the name constants, so renaming a metric breaks a test, not a dashboard.
Counter names carry their ``_total`` suffix as PromQL sees them::

    from prometheus_client import CollectorRegistry
    metrics = Metrics(CollectorRegistry())
    metrics.count_ingested("events", accepted=98, rejected_fields=["features", "timestamp"])

This module must not import FastAPI (the dashboards package imports it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "ENGINE_FAILURES_TOTAL",
    "ENGINE_LAG_SECONDS",
    "ENGINE_WAITING_FOR_DATA",
    "ENGINE_WINDOWS_EVALUATED_TOTAL",
    "HTTP_REQUESTS_TOTAL",
    "HTTP_REQUEST_DURATION_SECONDS",
    "INGESTED_ROWS_TOTAL",
    "LATENCY_BUCKETS",
    "REJECTED_ROWS_TOTAL",
    "SCHEMA_CHANGES_TOTAL",
    "SDK_DROPPED_EVENTS_TOTAL",
    "EngineMetrics",
    "Metrics",
    "reason_field",
]

#: HTTP requests served, by method, route template (``/v1/models/{model}``) and status code
HTTP_REQUESTS_TOTAL = "driftline_http_requests_total"
#: request latency in seconds, by route template
HTTP_REQUEST_DURATION_SECONDS = "driftline_http_request_duration_seconds"
#: rows stored by the ingest endpoints, by ``kind`` (``events`` or ``labels``)
INGESTED_ROWS_TOTAL = "driftline_ingested_rows_total"
#: rows rejected by validation, by ``kind`` and the top-level field at fault (``reason_field``)
REJECTED_ROWS_TOTAL = "driftline_rejected_rows_total"
#: events the SDK clients dropped before sending (queue full, spool full, ...), by ``reason``
SDK_DROPPED_EVENTS_TOTAL = "driftline_sdk_dropped_events_total"
#: new feature-schema versions recorded (a feature appeared or stopped arriving)
SCHEMA_CHANGES_TOTAL = "driftline_schema_changes_total"
#: monitor windows evaluated by the engine, by ``monitor``, result ``status`` and ``reason``
#: (``scheduled``, or ``labels`` for a re-evaluation after labels arrived)
ENGINE_WINDOWS_EVALUATED_TOTAL = "driftline_engine_windows_evaluated_total"
#: seconds between now and the end of a monitor's last evaluated window, by ``monitor``
ENGINE_LAG_SECONDS = "driftline_engine_lag_seconds"
#: windows that failed (an ``error`` record) or runs the store interrupted, by ``monitor``
ENGINE_FAILURES_TOTAL = "driftline_engine_failures_total"
#: 1 while a monitor's model has no events yet (nothing is stored for it), else 0
ENGINE_WAITING_FOR_DATA = "driftline_engine_waiting_for_data"

#: seconds; ingest of a large batch into ClickHouse can take a few seconds
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: label values that come from clients are bounded to this shape (else ``other``), so a
#: misbehaving client cannot create unbounded series
_LABEL_VALUE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _bounded(value: str) -> str:
    value = value.lower()
    return value if _LABEL_VALUE.match(value) else "other"


def reason_field(field: str) -> str:
    """The label value for a rejection's field path: its first segment (``features.x`` ->
    ``features``; a non-object item -> ``item``), so feature names never become series."""
    head = field.split(".", 1)[0]
    return _bounded(head) if head else "item"


class Metrics:
    """The service metrics, registered on ``registry`` (a fresh one per app; tests pass theirs)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            HTTP_REQUESTS_TOTAL, "HTTP requests served", ["method", "route", "status"], registry=r
        )
        self.request_latency = Histogram(
            HTTP_REQUEST_DURATION_SECONDS,
            "HTTP request latency in seconds",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ingested_rows = Counter(
            INGESTED_ROWS_TOTAL, "Rows stored by ingest", ["kind"], registry=r
        )
        self.rejected_rows = Counter(
            REJECTED_ROWS_TOTAL, "Rows rejected by validation", ["kind", "reason_field"], registry=r
        )
        self.sdk_dropped = Counter(
            SDK_DROPPED_EVENTS_TOTAL,
            "Events SDK clients dropped before sending",
            ["reason"],
            registry=r,
        )
        self.schema_changes = Counter(
            SCHEMA_CHANGES_TOTAL, "Feature-schema versions recorded", registry=r
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.request_latency.labels(route).observe(seconds)

    def count_ingested(
        self,
        kind: str,
        *,
        accepted: int,
        rejected_fields: Iterable[str] = (),
        schema_changes: int = 0,
    ) -> None:
        """Record one ingest request: ``kind`` is ``events`` or ``labels``."""
        if accepted:
            self.ingested_rows.labels(kind).inc(accepted)
        for field in rejected_fields:
            self.rejected_rows.labels(kind, reason_field(field)).inc()
        if schema_changes:
            self.schema_changes.inc(schema_changes)

    def count_sdk_dropped(self, deltas: Mapping[str, int]) -> None:
        """Add the drops an SDK client reports (counts since its previous report)."""
        for reason, n in deltas.items():
            if n > 0:
                self.sdk_dropped.labels(_bounded(reason)).inc(n)


class EngineMetrics:
    """The engine's metrics (the scheduler reports into them), registered on ``registry``.
    Monitor ids are labels: they come from the monitors file, a bounded set."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.windows = Counter(ENGINE_WINDOWS_EVALUATED_TOTAL, "Monitor windows evaluated",
                               ["monitor", "status", "reason"], registry=r)
        self.lag_seconds = Gauge(ENGINE_LAG_SECONDS,
                                 "Seconds behind real time of a monitor's last window",
                                 ["monitor"], registry=r)
        self.failures = Counter(ENGINE_FAILURES_TOTAL, "Monitor windows or runs that failed",
                                ["monitor"], registry=r)
        self.waiting = Gauge(ENGINE_WAITING_FOR_DATA,
                             "1 while a monitor's model has no events yet", ["monitor"],
                             registry=r)

    def evaluated(self, monitor: str, status: str, reason: str = "scheduled") -> None:
        self.windows.labels(monitor, status, reason).inc()

    def lag(self, monitor: str, seconds: float) -> None:
        self.lag_seconds.labels(monitor).set(max(seconds, 0.0))

    def failed(self, monitor: str) -> None:
        self.failures.labels(monitor).inc()

    def waiting_for_data(self, monitor: str, waiting: bool) -> None:
        self.waiting.labels(monitor).set(1.0 if waiting else 0.0)

"""The store layout of driftline before migrations (verbatim from the previous code:
``driftline/ingest/schema.py``'s column dicts, ``Store.migrate()`` and
``driftline/ingest/references.py``'s ``_ensure_table``), to test the upgrade from it."""

from __future__ import annotations

from collections.abc import Mapping

from driftline.storage import Backend

__all__ = ["EVENT_COLUMNS", "LABEL_COLUMNS", "MODEL_COLUMNS", "REFERENCE_COLUMNS",
           "RESULT_COLUMNS", "SCHEMA_COLUMNS", "create_legacy_layout", "create_legacy_model"]

EVENT_COLUMNS: dict[str, str] = {
    "event_id": "String",
    "ts": "DateTime('UTC')",
    "model_version": "String",
    "prediction": "Float64",
    "prediction_label": "Nullable(String)",
    "prediction_probs": "String",
    "latency_ms": "Float64",
    "tags": "String",
    "schema_version": "UInt32",
}
MODEL_COLUMNS = {"name": "String", "created_at": "DateTime('UTC')"}
SCHEMA_COLUMNS = {"model": "String", "version": "UInt32", "features": "String",
                  "added": "String", "removed": "String", "created_at": "DateTime('UTC')"}
LABEL_COLUMNS = {"model": "String", "event_id": "String", "label": "Float64",
                 "label_class": "Nullable(String)", "ts": "DateTime('UTC')",
                 "received_ns": "UInt64"}
RESULT_COLUMNS: dict[str, str] = {
    "monitor_id": "String",
    "model": "String",
    "window_start": "DateTime('UTC')",
    "window_end": "DateTime('UTC')",
    "reference_start": "DateTime('UTC')",
    "reference_end": "DateTime('UTC')",
    "test": "String",
    "feature": "String",
    "statistic": "Float64",
    "p_value": "Float64",
    "threshold": "Float64",
    "effect_size": "Float64",
    "drifted": "UInt8",
    "status": "String",
    "n_reference": "UInt64",
    "n_window": "UInt64",
    "details": "String",
    "run_ns": "UInt64",
}
REFERENCE_COLUMNS = {"model": "String", "name": "String", "version": "UInt64",
                     "feature": "String", "row": "UInt32", "value": "Nullable(Float64)",
                     "category": "Nullable(String)"}


def ddl(columns: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {ch_type}" for name, ch_type in columns.items())


def create_legacy_layout(backend: Backend, db: str) -> None:
    """``Store.migrate()`` of the previous code, then references.py's ``_ensure_table``."""
    backend.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    backend.execute(f"CREATE TABLE IF NOT EXISTS {db}.models ({ddl(MODEL_COLUMNS)})"
                    " ENGINE = ReplacingMergeTree() ORDER BY name")
    backend.execute(f"CREATE TABLE IF NOT EXISTS {db}.feature_schemas"
                    f" ({ddl(SCHEMA_COLUMNS)})"
                    " ENGINE = ReplacingMergeTree() ORDER BY (model, version)")
    backend.execute(f"CREATE TABLE IF NOT EXISTS {db}.labels ({ddl(LABEL_COLUMNS)})"
                    " ENGINE = ReplacingMergeTree(received_ns) ORDER BY (model, event_id)")
    backend.execute(
        f"CREATE TABLE IF NOT EXISTS {db}.results ({ddl(RESULT_COLUMNS)})"
        " ENGINE = ReplacingMergeTree(run_ns) PARTITION BY toYYYYMM(window_start)"
        " ORDER BY (model, monitor_id, test, feature, window_start)")
    cols = ", ".join(f"{k} {v}" for k, v in REFERENCE_COLUMNS.items())
    backend.execute(f"CREATE TABLE IF NOT EXISTS {db}.reference_rows ({cols}) ENGINE = MergeTree()"
                    " ORDER BY (model, name, version, feature, row)")


def create_legacy_model(backend: Backend, db: str, model: str,
                        features: Mapping[str, str]) -> None:
    """The previous ``_ensure_model`` and ``_add_columns`` (``features``: column -> type)."""
    table = f"{db}.`events_{model}`"
    backend.execute(
        f"CREATE TABLE IF NOT EXISTS {table} ({ddl(EVENT_COLUMNS)})"
        " ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (ts, event_id)")
    for column, ch_type in features.items():
        backend.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ch_type}")

"""Settings, from keyword arguments, ``DRIFTLINE_*`` environment variables or a ``.env`` file.

=========================  ==============================================  ===================
variable                   meaning                                         default
=========================  ==============================================  ===================
DRIFTLINE_STORE            ``chdb`` (embedded) or a ``clickhouse://`` URL  ``chdb``
DRIFTLINE_DATA_DIR         the embedded store's data directory             ``./.driftline/data``
DRIFTLINE_DATABASE         the ClickHouse database                         ``driftline``
DRIFTLINE_API_KEYS         comma-separated keys; empty = no auth           empty
DRIFTLINE_HOST / _PORT     where ``driftline serve`` listens               127.0.0.1 / 8650
DRIFTLINE_MAX_BATCH        largest accepted ingest request (events)        50000
DRIFTLINE_MAX_BODY_BYTES   largest request body (413 before it is read)    33554432 (32 MiB)
DRIFTLINE_MAX_FEATURES     most features a model may have                  500
DRIFTLINE_MAX_STRING_LENGTH  longest string value (feature, class, tag)    1024
DRIFTLINE_MONITORS         TOML file of monitors the service schedules      none
DRIFTLINE_SCHEDULE_S       how often the scheduler looks for new windows    30
DRIFTLINE_LATENESS_S       wait after a window's end before evaluating it   60
DRIFTLINE_BACKLOG_WINDOWS  most windows per monitor and run                 500
DRIFTLINE_RELABEL_HORIZON_S  re-evaluate label-based windows this far back  604800 (1 week)
DRIFTLINE_LEASE_S          a monitor's lease term (a dead worker's expires) 300
DRIFTLINE_BACKOFF_S        first wait before a failing monitor is retried   30
                           (doubles with each failure)
DRIFTLINE_MAX_BACKOFF_S    the longest such wait                            3600
DRIFTLINE_RETENTION_S      ingest refuses events older than this (0: off)   34560000 (400 days)
DRIFTLINE_CLOCK_SKEW_S     and events further in the future (0: off)        3600
DRIFTLINE_FEATURE_ABSENCE_S  a feature without a value this long is removed  604800 (1 week)
                           from the model's schema on its next write
DRIFTLINE_INPROCESS_WORKER serve runs the scheduler itself (false: use      true
                           a separate ``driftline worker``)
=========================  ==============================================  ===================
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from driftline.ingest.validation import TimeBounds
    from driftline.storage import Store

__all__ = ["Settings", "get_settings", "open_store"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFTLINE_", env_file=".env", extra="ignore")

    store: str = Field("chdb", description="'chdb' or clickhouse://user:pass@host:port/db")
    data_dir: Path = Path(".driftline/data")
    database: str = "driftline"
    api_keys: str = ""
    host: str = "127.0.0.1"
    port: int = Field(8650, ge=1, le=65535)
    max_batch: int = Field(50_000, ge=1)
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1)
    max_features: int = Field(500, ge=1)
    max_string_length: int = Field(1024, ge=1)
    monitors: Path | None = None
    schedule_s: float = Field(30.0, gt=0)
    lateness_s: float = Field(60.0, ge=0)
    backlog_windows: int = Field(500, ge=1)
    relabel_horizon_s: float = Field(7 * 86400.0, ge=0)
    lease_s: float = Field(300.0, gt=0)
    inprocess_worker: bool = True
    backoff_s: float = Field(30.0, gt=0)
    max_backoff_s: float = Field(3600.0, gt=0)
    retention_s: float = Field(400 * 86400.0, ge=0)
    clock_skew_s: float = Field(3600.0, ge=0)
    feature_absence_s: float = Field(7 * 86400.0, gt=0)

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value != "chdb" and not value.startswith(("clickhouse://", "clickhouses://")):
            raise ValueError("expected 'chdb' or a clickhouse://host:port/database URL")
        return value

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def time_bounds(self) -> TimeBounds | None:
        """The event times the service accepts relative to now (0 switches a side off)."""
        from driftline.ingest.validation import TimeBounds

        if not self.retention_s and not self.clock_skew_s:
            return None
        return TimeBounds(self.retention_s or None, self.clock_skew_s or None)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def open_store(settings: Settings | None = None, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store the settings name."""
    from driftline.storage import open_store as open_named

    settings = settings or get_settings()
    store = open_named(settings.store, data_dir=settings.data_dir, database=settings.database,
                       migrate=migrate)
    store.events.feature_absence_s = settings.feature_absence_s
    return store

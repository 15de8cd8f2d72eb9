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
DRIFTLINE_MONITORS         TOML file of monitors the service schedules      none
DRIFTLINE_SCHEDULE_S       how often the scheduler looks for new windows    30
=========================  ==============================================  ===================
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from driftline.errors import ConfigurationError
from driftline.ingest.store import Store

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
    monitors: Path | None = None
    schedule_s: float = Field(30.0, gt=0)

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value != "chdb" and not value.startswith(("clickhouse://", "clickhouses://")):
            raise ValueError("expected 'chdb' or a clickhouse://host:port/database URL")
        return value

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def open_store(settings: Settings | None = None, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store the settings name."""
    settings = settings or get_settings()
    store: Store
    if settings.store == "chdb":
        from driftline.ingest.chdb_store import ChdbStore

        store = ChdbStore(settings.data_dir, database=settings.database)
    elif settings.store.startswith(("clickhouse://", "clickhouses://")):
        from driftline.ingest.clickhouse_store import ClickHouseStore

        store = ClickHouseStore.from_url(settings.store, database=settings.database)
    else:  # pragma: no cover - the validator rejects it first
        raise ConfigurationError(f"unknown store {settings.store!r}")
    if migrate:
        try:
            store.migrate()
        except Exception:
            store.close()
            raise
    return store

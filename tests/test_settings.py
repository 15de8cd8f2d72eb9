from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from driftline.settings import Settings


def test_environment_variables_set_every_field(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    values = {"STORE": "clickhouse://u:p@h:9000/db", "DATA_DIR": str(tmp_path),
              "DATABASE": "x", "API_KEYS": "a, b,", "PORT": "9999", "MAX_BATCH": "7",
              "SCHEDULE_S": "3", "LATENESS_S": "4", "BACKLOG_WINDOWS": "5",
              "RELABEL_HORIZON_S": "6", "LEASE_S": "8", "INPROCESS_WORKER": "false"}
    for key, value in values.items():
        monkeypatch.setenv(f"DRIFTLINE_{key}", value)
    s = Settings()
    assert s.store.startswith("clickhouse://") and s.data_dir == tmp_path
    assert s.api_key_set == frozenset({"a", "b"}) and (s.port, s.max_batch) == (9999, 7)
    assert (s.schedule_s, s.lateness_s, s.backlog_windows) == (3, 4, 5)
    assert (s.relabel_horizon_s, s.lease_s, s.inprocess_worker) == (6, 8, False)


@pytest.mark.parametrize(("field", "value"), [("store", "postgres://x"), ("port", 0),
                                              ("lease_s", 0), ("backlog_windows", 0)])
def test_bad_values_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})


def test_defaults() -> None:
    s = Settings()
    assert (s.store, s.lateness_s, s.backlog_windows, s.lease_s) == ("chdb", 60, 500, 300)
    assert s.inprocess_worker and s.monitors is None


def test_the_service_rejects_events_outside_the_time_bounds(chdb_store: object) -> None:
    import time
    import warnings

    from driftline.api import create_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    now = time.time()
    app = create_app(Settings(_env_file=None, clock_skew_s=60), store=chdb_store)  # type: ignore[arg-type]
    with TestClient(app) as client:
        body = {"model": "m", "events": [
            {"event_id": "a", "timestamp": "2000-01-02T00:00:00Z", "features": {"x": 1.0}},
            {"event_id": "b", "timestamp": now, "features": {"x": 1.0}},
            {"event_id": "c", "timestamp": now + 3600, "features": {"x": 1.0}}]}
        answer = client.post("/v1/events", json=body).json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(0, "timestamp"),
                                                                      (2, "timestamp")]


def test_the_feature_absence_reaches_the_store(tmp_path: Path) -> None:
    from driftline.settings import open_store
    from driftline.storage.events import DEFAULT_FEATURE_ABSENCE_S

    assert Settings(_env_file=None).feature_absence_s == DEFAULT_FEATURE_ABSENCE_S == 604800
    with pytest.raises(ValidationError, match="feature_absence_s"):
        Settings(_env_file=None, feature_absence_s=0)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", feature_absence_s=60)
    with open_store(settings, migrate=False) as store:
        assert store.events.feature_absence_s == 60

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from driftline.api import create_app
from driftline.engine.config import load_monitors, parse_duration
from driftline.engine.windows import Span
from driftline.errors import ConfigurationError
from driftline.settings import Settings

GOOD = """
[[monitor]]
id = "a"
model = "m"
test = "ks"
features = ["x"]
window = "1h"
reference = "trailing:1d"
settings = { alpha = 0.01 }

[[monitor]]
id = "b"
model = "m"
test = "psi"
window = { kind = "sliding", size = "2h", step = "30m" }
reference = "fixed:2023-11-15T00:00:00Z,2023-11-16T00:00:00Z"

[[monitor]]
id = "c"
model = "m"
test = "mmd"
window = { kind = "cumulative", size = "1d", origin = "2023-11-15T00:00:00Z" }
reference = "training"
"""


def test_load_monitors(tmp_path: Path) -> None:
    path = tmp_path / "monitors.toml"
    path.write_text(GOOD)
    a, b, c = load_monitors(path)
    assert (a.id, a.kind, a.features) == ("a", "drift", ("x",))
    assert (a.settings.test, a.settings.settings) == ("ks", {"alpha": 0.01})  # type: ignore[attr-defined]
    assert a.window.size_s == 3600 and a.reference.size_s == 86400
    assert b.window.kind == "sliding" and b.window.step == 1800
    assert b.reference.span_for(Span(0, 1)) == Span(1_700_006_400, 1_700_092_800)
    assert c.window.kind == "cumulative" and c.window.origin == 1_700_006_400
    assert c.reference.kind == "training"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[monitor]]\nid="a"\nmodel="m"\nwindow="soon"', r"monitor\[0\].window: expected a dur"),
        ('[[monitor]]\nid="a"\nmodel="m"\ncolour="red"', r"monitor\[0\].colour: Extra inputs"),
        ('[[monitor]]\nid="a"\nmodel="m"\nkind="nope"', r"monitor\[0\].kind: unknown monitor kind"),
        ('[[monitor]]\nid="a b"\nmodel="m"', r"monitor\[0\]: monitor id"),
        ('[[monitor]]\nid="a"\nmodel="m"\ntest="magic"', "unknown detector 'magic'"),
        ('[[monitor]]\nid="a"\nmodel="m"\nsettings={bogus=1}', r"monitor\[0\].settings"),
        ('[[monitor]]\nmodel="m"', r"monitor\[0\].id: required"),
        ('[[monitor]]\nid="a"\nmodel="m"\nreference="fixed:never,2020-01-01"', "reference"),
        ('[[monitor]]\nid="a"\nmodel="m"\n[[monitor]]\nid="a"\nmodel="m"', "duplicate ids"),
        ("not toml = = 1", "monitors file"),
        ('[[monitor]]\nid="a"\nmodel="no such model"', r"monitor\[0\].model: expected a model"),
        ('[[monitor]]\nid="a"\nmodel="m"\nstart="soon"', r"monitor\[0\].start: expected an ISO"),
        ('[[monitor]]\nid="a"\nmodel="m"\nwindow={size="1h", origin="x"}',
         r"monitor\[0\].window.origin"),
    ],
)
def test_errors_name_the_monitor_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_monitors(path)


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("2w") == 1_209_600
    assert parse_duration(15) == 15
    with pytest.raises(ConfigurationError):
        parse_duration("-1h")


def test_service_schedules_the_monitors(tmp_path: Path, chdb_path: Path) -> None:
    from tests.conftest import unique_database

    path = tmp_path / "monitors.toml"
    path.write_text('[[monitor]]\nid = "svc"\nmodel = "m"\ntest = "ks"\nwindow = "1h"\n'
                    'reference = "trailing:1h"\n')
    settings = Settings(data_dir=chdb_path, database=unique_database(), monitors=path,
                        schedule_s=0.2, retention_s=0)  # events of 2023
    rng = np.random.default_rng(1)
    t0 = 1_700_006_400
    events = [{"model": "m", "event_id": str(i), "timestamp": t0 + i * 7.2,
               "features": {"x": float(rng.normal(4.0 if i >= 1000 else 0.0))}}
              for i in range(1500)]
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/events", json={"events": events}).json()["accepted"] == 1500
        deadline = time.monotonic() + 60
        rows: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(rows) < 3:
            time.sleep(0.3)
            rows = [r for r in client.get("/v1/results", params={"monitor_id": "svc"})
                    .json()["results"] if r["subject"] == "*"]
    assert [r["status"] for r in rows] == ["reference_unavailable", "ok", "alert"]


def test_start_and_origin(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[[monitor]]\nid="a"\nmodel="m"\nstart="2026-01-01T00:00:00Z"\n'
                    'window="1w"\n[[monitor]]\nid="b"\nmodel="m"\nwindow="1d"\n'
                    '[[monitor]]\nid="c"\nmodel="m"\n'
                    'window={size="1h", origin="2026-01-01T00:30:00Z"}\n')
    a, b, c = load_monitors(path)
    assert a.start == 1_767_225_600.0 and b.start is None
    assert a.window.origin == 345_600.0  # weekly windows begin on Monday 00:00 UTC
    assert b.window.origin == 0.0  # midnight UTC
    assert c.window.origin == 1_767_227_400.0

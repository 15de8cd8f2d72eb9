"""``driftline worker``: the scheduler in its own process, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.cli import main
from driftline.engine.worker import scheduler_for, scheduler_settings
from driftline.errors import ConfigurationError
from driftline.settings import Settings
from driftline.storage import Store
from tests.conftest import unique_database
from tests.engine.conftest import HOUR, T0, load_hours

MONITORS = """
[[monitor]]
id = "w"
model = "m"
test = "ks"
window = { kind = "tumbling", size = "1h" }
reference = "trailing:1h"
"""


def test_worker_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--once" in out and "--monitors" in out and "--metrics-port" in out


def test_worker_once_evaluates_what_is_due(tmp_path: Path, chdb_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from driftline.settings import open_store

    database = unique_database()
    settings = Settings(data_dir=chdb_path, database=database)
    with open_store(settings) as store:
        load_hours(store, hours=3, shift_from=2, n_per_hour=50)
    path = tmp_path / "monitors.toml"
    path.write_text(MONITORS)
    code = main(["--data-dir", str(chdb_path), "--database", database, "worker",
                 "--monitors", str(path), "--once"])
    assert code == 0
    assert "3 windows evaluated" in capsys.readouterr().out
    with open_store(settings) as store:
        rows = store.results.read("m", "w")
    starred = [r for r in rows if r.subject == "*"]
    assert [r.window_start for r in starred] == [T0, T0 + HOUR, T0 + 2 * HOUR]
    assert [r.status for r in starred] == ["reference_unavailable", "ok", "alert"]


def test_worker_needs_a_monitors_file(chdb_store: Store) -> None:
    with pytest.raises(ConfigurationError, match="DRIFTLINE_MONITORS"):
        scheduler_for(Settings(), chdb_store)


def test_scheduler_settings_come_from_the_service_settings() -> None:
    s = scheduler_settings(Settings(lateness_s=5, backlog_windows=7, relabel_horizon_s=9,
                                    lease_s=11))
    assert (s.lateness_s, s.max_windows, s.relabel_horizon_s, s.lease_s) == (5, 7, 9, 11)

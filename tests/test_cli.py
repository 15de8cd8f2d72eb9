"""The command line, in subprocesses (each opens its own embedded data directory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: the environment of the tests, without DRIFTLINE_* settings of the machine
_ENV = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}

SEED = textwrap.dedent("""
    import sys
    import numpy as np
    from driftline.storage import Store
    from driftline.ingest.writer import Ingestor
    store = Store.chdb(sys.argv[1]); store.migrate()
    rng = np.random.default_rng(0)
    events = [{"model": "m", "event_id": str(i), "timestamp": 1_700_006_400 + i * 36.0,
               "features": {"x": float(rng.normal(3.0 if i >= 2000 else 0.0))}}
              for i in range(3000)]
    assert Ingestor(store).ingest_events(events).accepted == 3000
    store.close()
""")


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "driftline", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)


def test_models_and_backfill(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", SEED, str(tmp_path)], check=True, timeout=120)
    models = _cli(tmp_path, "models")
    assert models.returncode == 0 and models.stdout.split() == ["m", "schema", "v1", "1",
                                                                "features"]
    run = _cli(tmp_path, "backfill", "m", "--window", "6h", "--reference", "trailing:6h")
    assert run.returncode == 0, run.stderr
    statuses = [line.split()[1] for line in run.stdout.splitlines()]
    # 30 h of events in 6 h windows: the first has no data before it, the shift is at 20 h,
    # and the last window (ending after the last event) is not complete, so not evaluated
    assert statuses == ["reference_unavailable", "ok", "ok", "alert"]


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = _cli(tmp_path, "backfill", "nothing")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "driftline: error: model 'nothing' has no events"
    subprocess.run([sys.executable, "-c", SEED, str(tmp_path)], check=True, timeout=120)
    bad = _cli(tmp_path, "backfill", "m", "--window", "fortnight")
    assert bad.returncode == 2 and "expected a duration like 30m" in bad.stderr


WEEKS = SEED.replace("1_700_006_400 + i * 36.0", "1_700_006_400 + i * 600.0")  # 20.8 days


def test_a_bad_monitors_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "monitors.toml"
    bad.write_text('[[monitor]]\nid = "a"\nmodel = "m"\nwindow = "soon"\n')
    expected = ("driftline: error: monitor[0].window: expected a duration like 30m, 6h, 1d "
                "or 1w, got 'soon'")
    for command in (["serve", "--port", "1"], ["worker", "--once"]):
        run = subprocess.run([sys.executable, "-m", "driftline", "--data-dir", str(tmp_path),
                              *command], capture_output=True, text=True, timeout=120,
                             env={**_ENV, "DRIFTLINE_MONITORS": str(bad)})
        assert (run.returncode, run.stderr.strip()) == (2, expected), command


def test_backfill_aligns_windows_to_midnight_monday_or_origin(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", WEEKS, str(tmp_path)], check=True, timeout=120)
    weekly = _cli(tmp_path, "backfill", "m", "--window", "1w", "--reference", "trailing:1w")
    assert weekly.returncode == 0, weekly.stderr
    # data from Wednesday 2023-11-15: the complete weeks start on Mondays
    assert [line.split()[0] for line in weekly.stdout.splitlines()] == [
        "2023-11-20T00:00+00:00", "2023-11-27T00:00+00:00"]
    hours = _cli(tmp_path, "backfill", "m", "--window", "6h", "--origin",
                 "2023-11-15T03:00:00Z", "--end", "2023-11-16T00:00:00Z")
    assert hours.returncode == 0, hours.stderr
    assert [line.split()[0] for line in hours.stdout.splitlines()] == [
        "2023-11-15T03:00+00:00", "2023-11-15T09:00+00:00", "2023-11-15T15:00+00:00"]


def test_a_backfill_without_a_complete_window_says_so_and_exits_2(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", SEED, str(tmp_path)], check=True, timeout=120)
    run = _cli(tmp_path, "backfill", "m", "--window", "1w")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == (
        "driftline: error: no complete 1w window between 2023-11-15T00:00Z and "
        "2023-11-16T05:59Z (windows begin at 2023-11-13T00:00Z + k*1w; give --start, --end, "
        "--origin or a shorter --window)")


REFERENCE = textwrap.dedent("""
    import sys
    import numpy as np
    from driftline.storage import Store
    from driftline.ingest.references import save_reference
    store = Store.chdb(sys.argv[1]); store.migrate()
    rng = np.random.default_rng(0)
    save_reference(store, "m", {"x": rng.normal(size=1000),
                                "c": rng.choice(["a", "b"], size=1000).astype(object)})
    store.close()
""")


def test_suggest_rules_prints_a_monitors_file_block(tmp_path: Path) -> None:
    import tomllib

    from driftline.engine.config import parse_monitor

    missing = _cli(tmp_path, "suggest-rules", "m")
    assert missing.returncode == 2 and "no stored reference 'training'" in missing.stderr
    subprocess.run([sys.executable, "-c", REFERENCE, str(tmp_path)], check=True, timeout=120)
    run = _cli(tmp_path, "suggest-rules", "m", "--window", "1h")
    assert run.returncode == 0, run.stderr
    [block] = tomllib.loads(run.stdout)["monitor"]
    monitor = parse_monitor(block)  # the printed block is a valid monitor as it stands
    assert monitor.kind == "validation" and monitor.window.size_s == 3600
    texts = [rule.text for rule in monitor.settings.rules]  # type: ignore[attr-defined]
    assert 'c in ["a", "b"] tolerance 0.01' in texts and "type(x) is numeric" in texts

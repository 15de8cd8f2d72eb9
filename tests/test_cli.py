"""The command line, in subprocesses (each opens its own embedded data directory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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

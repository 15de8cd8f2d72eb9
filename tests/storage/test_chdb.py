"""ChdbBackend: the embedded engine's process rules and session pool."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from driftline.errors import ConfigurationError, StoreError
from driftline.storage import ChdbBackend, Store

HOLD = textwrap.dedent("""
    import sys, time
    from driftline.storage import Store
    store = Store.chdb(sys.argv[1])
    store.migrate()
    print("ready", flush=True)
    time.sleep(60)
""")
OPEN = textwrap.dedent("""
    import sys
    from driftline.errors import StoreLockedError
    from driftline.storage import Store
    try:
        Store.chdb(sys.argv[1]).events.count("m")
    except StoreLockedError as exc:
        print(exc)
        sys.exit(3)
""")


def test_a_second_process_gets_a_clear_lock_error(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        second = subprocess.run([sys.executable, "-c", OPEN, str(tmp_path)],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3
        assert f"in use by process {holder.pid}" in second.stdout
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # once the holder is gone the directory opens again, data intact
    reopened = subprocess.run([sys.executable, "-c", OPEN, str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
    assert reopened.returncode == 0, reopened.stdout + reopened.stderr


def test_one_directory_per_process_is_a_clear_error(chdb_store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="one data directory per process"):
        ChdbBackend(tmp_path / "other")


def test_closed_store_refuses_work(chdb_path: Path) -> None:
    store = Store.chdb(chdb_path, database="closed_check")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.events.count("m")


def test_concurrent_reads_share_a_bounded_pool_of_sessions(chdb_path: Path) -> None:
    backend = ChdbBackend(chdb_path, max_readers=2)
    try:
        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(
                lambda _: backend.select("SELECT count() AS n FROM numbers(200000)")["n"][0],
                range(16)))
        assert counts == [200_000] * 16
        assert backend.sessions_open <= 1 + 2  # the writer and at most two readers
    finally:
        backend.close()

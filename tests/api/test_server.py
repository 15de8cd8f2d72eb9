"""``python -m driftline.api`` as a real process: serve, stop on SIGTERM, restart with the data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

T0 = 1_700_000_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env["DRIFTLINE_RETENTION_S"] = "0"  # events of 2023 (T0)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "driftline.api",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(process: subprocess.Popen[str], url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{process.communicate()[0]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"not ready in {timeout_s}s:\n{process.communicate()[0]}")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return process.returncode, output


def test_serve_sigterm_and_restart(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start(tmp_path, port)
    try:
        _wait_ready(server, url)
        events = [
            {"event_id": f"e{i}", "timestamp": T0 + i, "features": {"x": float(i)}}
            for i in range(5)
        ]
        response = httpx.post(f"{url}/v1/events", json={"model": "m1", "events": events})
        assert response.json()["accepted"] == 5
        rows = httpx.get(f"{url}/v1/models/m1/events").json()["rows"]
        assert [r["x"] for r in rows] == [0.0, 1.0, 2.0, 3.0, 4.0]
    finally:
        code, output = _stop(server)
    assert code == 0, output
    assert f"http://127.0.0.1:{port}" in output

    restarted = _start(tmp_path, port)
    try:
        _wait_ready(restarted, url)
        rows = httpx.get(f"{url}/v1/models/m1/events").json()["rows"]
        assert [r["event_id"] for r in rows] == [f"e{i}" for i in range(5)]
    finally:
        code, output = _stop(restarted)
    assert code == 0, output


def test_second_process_on_the_same_directory_fails_clearly(tmp_path: Path) -> None:
    port = _free_port()
    server = _start(tmp_path, port)
    try:
        _wait_ready(server, f"http://127.0.0.1:{port}")
        second = _start(tmp_path, _free_port())
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 2, output
        assert "in use by process" in output
    finally:
        code, output = _stop(server)
    assert code == 0, output

"""SDK fixtures: a recording exporter, the service in a thread (uvicorn on loopback over the
shared chDB store) and the service as a subprocess (``python -m driftline.api``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftline.sdk import ExportResult
from driftline.storage import Store

T0 = 1_700_000_000


class RecordingExporter:
    """Keeps what it is given; ``fail`` makes every export a retryable failure."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.labels: list[dict[str, Any]] = []
        self.dropped_reports: list[dict[str, int]] = []
        self.fail = False
        self.calls = 0
        self.closed = 0

    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult:
        self.calls += 1
        if self.fail:
            return ExportResult.retry("destination down")
        self.events += events
        self.labels += labels
        self.dropped_reports.append(dict(dropped or {}))
        return ExportResult(accepted=len(events) + len(labels))

    def close(self) -> None:
        self.closed += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as http:
        while time.monotonic() < deadline:
            try:
                if http.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"the service at {url} did not come up")


class ServiceProcess:
    """``python -m driftline.api`` on a data directory and a fixed port."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "driftline.api",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_ready(self.url)

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(30)
        self.process = None

    def event_ids(self, model: str) -> list[str]:
        with httpx.Client(timeout=30.0) as http:
            response = http.get(
                f"{self.url}/v1/models/{model}/events",
                params={"columns": "event_id", "limit": 100_000},
            )
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [row["event_id"] for row in response.json()["rows"]]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    service = ServiceProcess(tmp_path / "service-data", free_port())
    yield service
    service.stop()


@pytest.fixture
def app_url(chdb_store: Store) -> Iterator[str]:
    """The service app on ``chdb_store``, served by uvicorn in a thread; API key ``k``."""
    import uvicorn

    from driftline.api import create_app
    from driftline.settings import Settings

    settings = Settings(api_keys="k", max_batch=50, _env_file=None)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, store=chdb_store),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield url
    server.should_exit = True
    thread.join(10)


def events(n: int, model: str = "m1", start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "model": model,
            "event_id": f"e{i}",
            "timestamp": T0 + i,
            "features": {"x": float(i), "color": "red"},
            "prediction": 0.5,
        }
        for i in range(start, start + n)
    ]

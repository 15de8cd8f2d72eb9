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


class AppServer:
    """The service app on a store, served by uvicorn in a thread on ``port``; API key ``k``.

    ``start`` / ``stop`` may be called late and again: a test brings the service up after an
    outage on the same port."""

    def __init__(self, store: Store, port: int | None = None) -> None:
        self.store = store
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn

        from driftline.api import create_app
        from driftline.settings import Settings

        settings = Settings(api_keys="k", max_batch=50, _env_file=None,
                            retention_s=0)  # events of 2023 (T0)
        config = uvicorn.Config(
            create_app(settings, store=self.store),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None


@pytest.fixture
def app_server(chdb_store: Store) -> Iterator[AppServer]:
    """The service app on ``chdb_store``, not started yet (``app_server.start()``)."""
    server = AppServer(chdb_store)
    yield server
    server.stop()


@pytest.fixture
def app_url(app_server: AppServer) -> str:
    """The service app on ``chdb_store``, served by uvicorn in a thread; API key ``k``."""
    app_server.start()
    return app_server.url


def sdk_drops_reported(url: str) -> dict[str, float]:
    """What the service counted in ``driftline_sdk_dropped_events_total``, by reason."""
    from driftline.observability import SDK_DROPPED_EVENTS_TOTAL

    text = httpx.get(f"{url}/metrics", timeout=10).text
    prefix = SDK_DROPPED_EVENTS_TOTAL + '{reason="'
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            reason, _, value = line[len(prefix):].partition('"} ')
            counts[reason] = float(value)
    return counts


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

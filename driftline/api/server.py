"""Run the service with uvicorn: ``serve(settings)``, or ``python -m driftline.api``.

One worker, always: the embedded chDB store belongs to one process per data directory.
SIGTERM and SIGINT stop it gracefully (in-flight requests finish, the store is closed) and the
process exits with status 0.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

import uvicorn

from driftline.api.app import create_app
from driftline.settings import Settings

__all__ = ["serve"]

log = logging.getLogger("driftline.api")


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Handler left in place after uvicorn's: uvicorn re-raises the signal that stopped it
    once it has shut down, which would otherwise kill the process (exit -15) after a clean
    shutdown."""


def serve(settings: Settings, *, log_level: str = "info") -> None:
    """Serve until SIGTERM/SIGINT; raises the store's error if startup fails."""
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=log_level,
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    log.warning(
        "driftline API on http://%s:%d (store: %s)",
        host,
        settings.port,
        settings.store if settings.store != "chdb" else f"chdb {settings.data_dir}",
    )
    try:
        server.run()
    except SystemExit:  # uvicorn exits 3 when the lifespan fails: surface the store's error
        if app.state.startup_error is not None:
            raise app.state.startup_error from None
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if app.state.startup_error is not None:
        raise app.state.startup_error
    if not server.started:
        raise RuntimeError(f"the API could not start on {host}:{settings.port} (see the log)")

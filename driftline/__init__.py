"""driftline: drift detection and observability for ML models in production.

The SDK is re-exported here (``driftline.init``, ``driftline.log_prediction``,
``@driftline.monitor`` ...); importing ``driftline`` stays light: standard library only.
"""

from __future__ import annotations

from driftline.sdk import (
    Client,
    flush,
    get_client,
    init,
    log_label,
    log_prediction,
    monitor,
    shutdown,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "__version__",
    "flush",
    "get_client",
    "init",
    "log_label",
    "log_prediction",
    "monitor",
    "shutdown",
]

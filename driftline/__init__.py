"""driftline: drift detection and observability for ML models in production."""

from __future__ import annotations

__version__ = "0.1.0"

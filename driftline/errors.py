"""driftline's exceptions, in one place.

    DriftlineError
    ├── ConfigurationError        bad settings (which setting, which value, what was expected)
    ├── ValidationError           a bad event, label or request (``field`` and ``index`` say where)
    ├── NotFittedError            a detector's ``score`` was called before ``fit``
    └── StoreError                the storage layer failed
        ├── StoreLockedError      the embedded data directory is held by another process
        └── StoreUnavailableError the ClickHouse server cannot be reached (retryable)
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DriftlineError",
    "NotFittedError",
    "StoreError",
    "StoreLockedError",
    "StoreUnavailableError",
    "ValidationError",
]


class DriftlineError(Exception):
    """Base class of every error driftline raises on purpose."""


class ConfigurationError(DriftlineError, ValueError):
    """A setting is missing or has a value that cannot work."""


class ValidationError(DriftlineError, ValueError):
    """An input failed validation; ``field`` names the offending field, ``index`` the item."""

    def __init__(self, message: str, *, field: str | None = None, index: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.index = index


class NotFittedError(DriftlineError, RuntimeError):
    """``score`` was called on a detector that has not been fitted."""


class StoreError(DriftlineError, RuntimeError):
    """The storage layer failed."""


class StoreLockedError(StoreError):
    """The embedded store's data directory is already in use by another process."""


class StoreUnavailableError(StoreError):
    """The ClickHouse server cannot be reached; the operation may be retried."""

"""driftline's exceptions, in one place.

    DriftlineError
    ├── ConfigurationError        bad settings (which setting, which value, what was expected)
    ├── ValidationError           a bad event, label or request (``field`` and ``index`` say where)
    ├── NotFoundError             a model, monitor, reference or result that does not exist
    ├── DataStateError            the data cannot answer yet (no events, reference unavailable)
    ├── NotFittedError            a detector's ``score`` was called before ``fit``
    └── StoreError                the storage layer failed
        ├── StoreLockedError      the embedded data directory is held by another process
        ├── StoreUnavailableError the ClickHouse server cannot be reached (retryable)
        └── StoreVersionError     the store was written by a newer driftline (migrations)

HTTP statuses are given in one place (``driftline.api.app``): ValidationError 422,
NotFoundError 404, DataStateError 409, ConfigurationError 400, StoreUnavailableError 503.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DataStateError",
    "DriftlineError",
    "NotFittedError",
    "NotFoundError",
    "StoreError",
    "StoreLockedError",
    "StoreUnavailableError",
    "StoreVersionError",
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


class NotFoundError(DriftlineError, LookupError):
    """A named thing (model, monitor, stored reference, ...) does not exist; ``what`` says
    which kind of thing, ``name`` which one."""

    def __init__(self, message: str, *, what: str | None = None, name: str | None = None):
        super().__init__(message)
        self.message = message
        self.what = what
        self.name = name


class DataStateError(DriftlineError, RuntimeError):
    """The stored data cannot answer the request yet: a model with no events, a reference
    period that is empty. Not a bug and not a bad setting; it may pass later."""


class NotFittedError(DriftlineError, RuntimeError):
    """``score`` was called on a detector that has not been fitted."""


class StoreError(DriftlineError, RuntimeError):
    """The storage layer failed."""


class StoreLockedError(StoreError):
    """The embedded store's data directory is already in use by another process."""


class StoreUnavailableError(StoreError):
    """The ClickHouse server cannot be reached; the operation may be retried."""


class StoreVersionError(StoreError):
    """The store's schema was migrated by a newer driftline than this one."""

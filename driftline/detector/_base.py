"""The batch detector contract and the registry by name.

Every batch detector takes its settings as keyword arguments, learns everything that depends
only on the reference in ``fit`` and compares a window with it in ``score``::

    detector = get_detector("ks", alpha=0.05).fit(reference)   # reference: {"feature": array}
    result = detector.score(window)                              # a frozen DriftResult

Frames are columnar: a mapping from feature name to a 1-D array (float for numeric features,
str/object for categorical ones; NaN or None marks a missing value), or any table the input
adapter ``driftline.detector._frames.as_columns`` reads (pandas / polars DataFrame, pyarrow
Table, numpy structured array). Every detector passes its input through that one adapter.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import numpy.typing as npt

from driftline.detector._capabilities import Capabilities, check_capabilities
from driftline.detector._frames import FrameLike
from driftline.detector._result import DriftResult
from driftline.errors import ConfigurationError

__all__ = [
    "BatchDetector",
    "Frame",
    "as_float_column",
    "available_detectors",
    "detector_capabilities",
    "get_detector",
    "register_detector",
]

Frame = Mapping[str, npt.ArrayLike]

_REGISTRY: dict[str, type[BatchDetector]] = {}
_D = TypeVar("_D", bound="type[BatchDetector]")


class BatchDetector(abc.ABC):
    """Compares a window of data with a reference fixed at ``fit`` time."""

    #: registry name, e.g. ``"ks"``; set by ``register_detector``
    name: str = ""
    #: what the test takes and how it reads data; every registered class declares it
    capabilities: ClassVar[Capabilities]

    @property
    def sample_cap(self) -> int | None:
        """Rows per side this instance reads (its ``max_samples``) when it tests a bounded
        sample; ``None`` when it takes whole columns."""
        return None

    @abc.abstractmethod
    def fit(self, reference: FrameLike) -> Self:
        """Learn everything that depends only on the reference; returns ``self``."""

    @abc.abstractmethod
    def score(self, window: FrameLike) -> DriftResult:
        """Compare ``window`` with the fitted reference."""

    @property
    @abc.abstractmethod
    def features(self) -> tuple[str, ...]:
        """The features seen at ``fit``."""


def register_detector(name: str) -> Callable[[_D], _D]:
    """Class decorator: make a detector available to ``get_detector(name)``.

    Raises ``ConfigurationError`` when the class declares no (or inconsistent)
    ``capabilities``, see ``driftline.detector._capabilities``.
    """

    def decorate(cls: _D) -> _D:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigurationError(f"detector name {name!r} is already registered")
        check_capabilities(cls)
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def _detector_class(name: str) -> type[BatchDetector]:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigurationError(f"unknown detector {name!r}; known: {known}") from None


def get_detector(name: str, **settings: Any) -> BatchDetector:
    """A new, unfitted detector by registry name with the given settings."""
    return _detector_class(name)(**settings)


def detector_capabilities(name: str) -> Capabilities:
    """What the detector registered as ``name`` declares, without making one."""
    return _detector_class(name).capabilities


def available_detectors() -> tuple[str, ...]:
    """Registered detector names, sorted."""
    return tuple(sorted(_REGISTRY))


def as_float_column(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """A numeric column as float64 with missing values (None/NaN) removed."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr], dtype=np.float64)
    floats: npt.NDArray[np.float64] = arr.astype(np.float64, copy=False)
    return floats[~np.isnan(floats)]

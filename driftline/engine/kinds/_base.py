"""The monitor-kind protocol, the context a kind evaluates in, and the registry by name.

A kind declares its settings (a pydantic model: the monitors file and the API validate a
monitor against it) and whether it reads labels (its windows are then re-evaluated while
labels keep arriving); ``evaluate`` asks the context for what it needs from the store (a
window profile, counts, a bounded sample, labels) and returns result records.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from driftline.engine.windows import Span
from driftline.errors import ConfigurationError, NotFoundError
from driftline.storage import ResultRecord, ResultStatus, Store

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["PROFILE_CACHE_SIZE", "Evaluation", "EvaluationContext", "MonitorKind",
           "available_kinds", "get_kind", "no_data", "record", "register_kind"]

_KINDS: dict[str, type[MonitorKind]] = {}
_K = TypeVar("_K", bound="type[MonitorKind]")
#: window profiles kept for the other monitors of the same model (oldest dropped first)
PROFILE_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What evaluating one window gave: the stored records and the kind's own result
    (a ``DriftResult`` for drift), with the overall status (the ``"*"`` record's)."""

    monitor_id: str
    window: Span
    status: ResultStatus
    records: tuple[ResultRecord, ...]
    outcome: Any = None


class EvaluationContext:
    """The store as a kind sees it, with what is shared between monitors and windows: window
    profiles (one query per model and window for every monitor of it) and per-monitor state
    (e.g. a detector fitted once per reference)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._profiles: dict[tuple[str, float, float], dict[str, dict[str, float]]] = {}
        self._state: dict[str, dict[str, Any]] = {}

    def state(self, monitor: Monitor) -> dict[str, Any]:
        """Per-monitor scratch space; reset when the monitor's definition changes."""
        entry = self._state.get(monitor.id)
        if entry is None or entry.get("__key__") != monitor.key:
            entry = self._state[monitor.id] = {"__key__": monitor.key}
        return entry

    def count(self, model: str, span: Span) -> int:
        return self.store.events.count(model, span.start, span.end)

    def profile(self, model: str, span: Span) -> dict[str, dict[str, float]]:
        """Counts, nulls, moments and quartiles of every numeric feature of ``model``."""
        key = (model, span.start, span.end)
        cached = self._profiles.get(key)
        if cached is None:
            numeric = [f for f, k in self.store.events.known_kinds(model).items()
                       if k == "numeric"]
            cached = (self.store.events.numeric_profile(model, numeric, span.start, span.end)
                      if numeric else {})
            if len(self._profiles) >= PROFILE_CACHE_SIZE:
                self._profiles.pop(next(iter(self._profiles)))
            self._profiles[key] = cached
        return cached

    def sample(self, model: str, names: Sequence[str], span: Span, *, limit: int,
               seed: int) -> dict[str, npt.NDArray[Any]]:
        """The columns of a window: all rows, or a deterministic sample of ``limit`` rows
        (same window and seed -> same rows) when the window holds more."""
        n = self.count(model, span)
        sampled = n > limit
        cols = self.store.events.read(model, list(names), span.start, span.end,
                                      limit=limit if sampled else None,
                                      sample_seed=seed if sampled else None, total=n)
        return {name: np.asarray(cols[name]) for name in names}

    def features(self, monitor: Monitor, accepts: Callable[[str], bool]) -> dict[str, str]:
        """The monitored features and their kinds: ``monitor.features``, or every feature of
        the current schema that ``accepts`` takes."""
        schema = self.store.events.current_schema(monitor.model)
        if schema is None:
            raise NotFoundError(f"monitor {monitor.id!r}: model {monitor.model!r} has no "
                                "events yet", what="model", name=monitor.model)
        known = self.store.events.known_kinds(monitor.model)
        if monitor.features:
            missing = [f for f in monitor.features if f not in known]
            if missing:
                raise ConfigurationError(f"monitor {monitor.id!r}: model {monitor.model!r} has "
                                         f"no features {missing}")
            return {f: str(known[f]) for f in monitor.features}
        return {f: str(k) for f, k in schema.features.items() if accepts(str(k))}


class MonitorKind(abc.ABC):
    """One kind of monitor. Subclasses set ``settings_model`` and implement ``evaluate``."""

    #: registry name, set by ``register_kind``
    name: ClassVar[str] = ""
    #: the pydantic model of the kind's settings (unknown keys are refused)
    settings_model: ClassVar[type[BaseModel]]
    #: True when results depend on labels: windows are re-evaluated as labels arrive
    uses_labels: ClassVar[bool] = False

    @classmethod
    def parse_settings(cls, raw: Mapping[str, Any], where: str = "monitor") -> BaseModel:
        """The validated settings; a ConfigurationError names ``where`` and the key."""
        try:
            return cls.settings_model.model_validate(dict(raw))
        except PydanticError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first.get("loc", ()))
            message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            raise ConfigurationError(f"{where}.{key}: {message}" if key
                                     else f"{where}: {message}") from None

    @abc.abstractmethod
    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        """Evaluate one window; the engine stores the returned records."""


def register_kind(name: str) -> Callable[[_K], _K]:
    """Class decorator: make a monitor kind available by ``name``."""

    def decorate(cls: _K) -> _K:
        if name in _KINDS and _KINDS[name] is not cls:
            raise ConfigurationError(f"monitor kind {name!r} is already registered")
        if not isinstance(getattr(cls, "settings_model", None), type):
            raise ConfigurationError(f"monitor kind {name!r} declares no settings_model")
        cls.name = name
        _KINDS[name] = cls
        return cls

    return decorate


def get_kind(name: str) -> type[MonitorKind]:
    try:
        return _KINDS[name]
    except KeyError:
        raise ConfigurationError(f"unknown monitor kind {name!r}; known: "
                                 f"{', '.join(sorted(_KINDS))}") from None


def available_kinds() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))


def record(monitor: Monitor, kind: str, window: Span, reference: Span | None, subject: str,
           metric: str, value: float, status: ResultStatus, **fields: Any) -> ResultRecord:
    """A result record of ``monitor`` for ``window`` (reference bounds 0/0: a stored one)."""
    ref_start, ref_end = (reference.start, reference.end) if reference else (0.0, 0.0)
    return ResultRecord(monitor_id=monitor.id, kind=kind, model=monitor.model,
                        window_start=window.start, window_end=window.end, subject=subject,
                        metric=metric, value=value, status=status, reference_start=ref_start,
                        reference_end=ref_end, **fields)


def no_data(monitor: Monitor, kind: str, window: Span, metric: str) -> Evaluation:
    """The evaluation of a window without events: one ``no_data`` ``"*"`` record."""
    only = record(monitor, kind, window, None, "*", metric, math.nan, ResultStatus.NO_DATA,
                  details={"note": "no events in the window"})
    return Evaluation(monitor.id, window, ResultStatus.NO_DATA, (only,), None)

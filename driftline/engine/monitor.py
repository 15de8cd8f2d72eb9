"""A monitor: a kind (what is computed) + its settings, over which windows, against what.

``Monitor.create`` validates the settings with the kind's own pydantic model, so a bad setting
fails when the monitor is defined, not at its first window::

    Monitor.create("fraud-ks", "fraud", kind="drift", test="ks", window=WindowSpec.tumbling(3600))
    Monitor.drift("fraud-ks", "fraud", "ks", WindowSpec.tumbling(3600))   # the same, shorter
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from driftline.engine.windows import ReferenceSpec, WindowSpec
from driftline.errors import ConfigurationError

__all__ = ["MONITOR_ID", "Monitor"]

#: what a monitor id may look like (ids appear in result rows, URLs and alert labels)
MONITOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


@dataclass(frozen=True, slots=True)
class Monitor:
    """``features=()`` means every feature of the model's current schema the kind can take;
    ``settings`` is the kind's validated settings model (``kinds.get_kind(kind).settings``);
    ``start``: the scheduler evaluates windows that begin at or after it (None: from the
    window that holds the model's first event)."""

    id: str
    model: str
    kind: str
    settings: BaseModel
    window: WindowSpec = field(default_factory=WindowSpec)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec.training)
    features: tuple[str, ...] = ()
    start: float | None = None

    def __post_init__(self) -> None:
        if not MONITOR_ID.fullmatch(self.id):
            raise ConfigurationError(f"monitor id {self.id!r} must match {MONITOR_ID.pattern}")

    @classmethod
    def create(cls, id: str, model: str, *, kind: str = "drift",
               window: WindowSpec | None = None, reference: ReferenceSpec | None = None,
               features: tuple[str, ...] = (), start: float | None = None,
               **settings: Any) -> Monitor:
        """A monitor whose ``settings`` are validated by the kind's settings model."""
        from driftline.engine.kinds import get_kind

        parsed = get_kind(kind).parse_settings(settings, where=f"monitor {id!r}")
        return cls(id, model, kind, parsed, window or WindowSpec(),
                   reference or ReferenceSpec.training(), tuple(features), start)

    @classmethod
    def drift(cls, id: str, model: str, test: str = "ks", window: WindowSpec | None = None,
              reference: ReferenceSpec | None = None, features: tuple[str, ...] = (),
              settings: Mapping[str, Any] | None = None, *, max_rows: int = 200_000,
              sample_seed: int = 0, start: float | None = None) -> Monitor:
        """A drift monitor: ``test`` is a detector name, ``settings`` the detector's own."""
        return cls.create(id, model, kind="drift", window=window, reference=reference,
                          features=features, start=start, test=test,
                          settings=dict(settings or {}), max_rows=max_rows,
                          sample_seed=sample_seed)

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything that defines what the monitor computes (a changed monitor refits)."""
        return (self.id, self.model, self.kind, self.settings.model_dump_json(), self.window,
                self.reference, self.features)

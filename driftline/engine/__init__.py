"""The engine: monitors (a kind + settings + window + reference) evaluated over windows;
every result stored. Kinds are plugins (``driftline.engine.kinds``)."""

from __future__ import annotations

from driftline.engine.kinds import Evaluation, MonitorKind, available_kinds, get_kind
from driftline.engine.monitor import Monitor
from driftline.engine.runner import Engine
from driftline.engine.scheduler import Scheduler, SchedulerSettings
from driftline.engine.windows import ReferenceSpec, Span, WindowSpec

__all__ = ["Engine", "Evaluation", "Monitor", "MonitorKind", "ReferenceSpec", "Scheduler",
           "SchedulerSettings", "Span", "WindowSpec", "available_kinds", "get_kind"]

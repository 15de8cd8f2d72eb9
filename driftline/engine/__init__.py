"""The engine: monitors evaluated over windows against references; results stored."""

from __future__ import annotations

from driftline.engine.monitor import Monitor
from driftline.engine.runner import Engine
from driftline.engine.scheduler import Scheduler
from driftline.engine.windows import ReferenceSpec, Span, WindowSpec

__all__ = ["Engine", "Monitor", "ReferenceSpec", "Scheduler", "Span", "WindowSpec"]

"""Engine fixtures: a model with hourly traffic loaded through the real write path."""

from __future__ import annotations

import numpy as np

from driftline.engine import Monitor, ReferenceSpec, WindowSpec
from driftline.ingest.writer import Ingestor
from driftline.storage import Store

T0 = 1_700_006_400  # a multiple of 3600
HOUR = 3600.0


def load_hours(store: Store, hours: int, shift_from: int, n_per_hour: int = 400) -> None:
    """``hours`` hours of events of model ``m``: numeric x (shifted by +2 from
    ``shift_from``), numeric y, categorical c."""
    rng = np.random.default_rng(0)
    events = []
    for h in range(hours):
        x = rng.normal(2.0 if h >= shift_from else 0.0, 1.0, n_per_hour)
        y = rng.normal(0.0, 1.0, n_per_hour)
        for i in range(n_per_hour):
            events.append({"model": "m", "event_id": f"{h}-{i}",
                           "timestamp": T0 + h * HOUR + i * HOUR / n_per_hour,
                           "features": {"x": float(x[i]), "y": float(y[i]),
                                        "c": "ab"[i % 2]}, "prediction": 0.5})
    report = Ingestor(store).ingest_events(events)
    assert report.accepted == len(events)


def hourly_monitor(**kw: object) -> Monitor:
    """A drift monitor of ``m`` over hourly windows, KS against the first hour by default."""
    base: dict[str, object] = {
        "id": "mon", "model": "m", "test": "ks", "window": WindowSpec.tumbling(HOUR, origin=T0),
        "reference": ReferenceSpec.fixed(T0, T0 + HOUR)}
    base.update(kw)
    return Monitor.drift(**base)  # type: ignore[arg-type]

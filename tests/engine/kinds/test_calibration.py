"""The calibration kind on the real engine: ECE with an interval, Brier, the reliability
table, calibration drift against the reference window, and a recalibration map a user can
apply."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.engine import Engine, Monitor, ReferenceSpec, Span, WindowSpec
from driftline.ingest.writer import Ingestor
from driftline.metrics.calibration import Recalibration, weighted_ece
from driftline.storage import ResultRecord, ResultStatus, Store

T0 = 1_700_006_400.0
DAY = 86400.0


def _log(store: Store, day: int, p: np.ndarray, truth: np.ndarray, tag: str) -> None:
    events = [{"model": "m", "event_id": f"{tag}{i}", "timestamp": T0 + day * DAY + i * 10.0,
               "features": {"x": 1.0}, "prediction": {"late": float(p[i]),
                                                      "on_time": float(1 - p[i])}}
              for i in range(p.size)]
    labels = [{"model": "m", "event_id": f"{tag}{i}", "label": float(truth[i]),
               "timestamp": T0 + day * DAY + i * 10.0 + 5} for i in range(p.size)]
    ingest = Ingestor(store)
    assert ingest.ingest_events(events).accepted == p.size
    assert ingest.ingest_labels(labels).accepted == p.size


def _rows(records: tuple[ResultRecord, ...]) -> dict[tuple[str, str], ResultRecord]:
    return {(r.subject, r.metric): r for r in records}


def test_calibration_drift_and_recalibration(chdb_store: Store) -> None:
    rng = np.random.default_rng(0)
    p0 = rng.uniform(0.02, 0.98, 3000)
    _log(chdb_store, 0, p0, (rng.random(3000) < p0).astype(float), "ref")  # calibrated
    p1 = rng.uniform(0.02, 0.98, 3000)
    true1 = 1 / (1 + np.exp(-0.3 * np.log(p1 / (1 - p1))))  # overconfident now
    y1 = (rng.random(3000) < true1).astype(float)
    _log(chdb_store, 1, p1, y1, "now")
    monitor = Monitor.create("cal", "m", kind="calibration",
                             window=WindowSpec.tumbling(DAY, origin=T0),
                             reference=ReferenceSpec.fixed(T0, T0 + DAY), positive_class="late",
                             label_classes={"1": "late", "0": "on_time"})
    engine = Engine(chdb_store)
    quiet = _rows(engine.evaluate(monitor, Span(T0 + DAY * 0, T0 + DAY)).records)
    assert quiet[("*", "ece")].status is ResultStatus.OK
    moved = engine.evaluate(monitor, Span(T0 + DAY, T0 + 2 * DAY))
    rows = _rows(moved.records)
    ece = rows[("*", "ece")]
    assert ece.status is ResultStatus.ALERT and moved.status is ResultStatus.ALERT
    assert ece.value == pytest.approx(weighted_ece(p1, y1)(np.ones((1, 3000)))[0])
    assert ece.lower > ece.details["reference_ece"] + 0.02 and ece.lower < ece.value < ece.upper
    bins = [r for r in moved.records if r.subject.startswith("bin:")]
    assert len(bins) == 10 and sum(b.n_window for b in bins) == 3000
    top = rows[("bin:0.9-1", "observed_rate")]
    assert top.details["mean_probability"] > 0.9 > top.upper  # over-confident at the top
    recal = ece.details["recalibration"]
    assert recal["method"] == "platt" and recal["ece_after"] < ece.value / 3
    applied = Recalibration(recal["method"], recal["params"])(p1)
    assert weighted_ece(applied, y1)(np.ones((1, 3000)))[0] == pytest.approx(recal["ece_after"])


def test_too_few_labels_and_no_probabilities(chdb_store: Store) -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 50)
    _log(chdb_store, 0, p, (rng.random(50) < p).astype(float), "few")
    monitor = Monitor.create("cal", "m", kind="calibration",
                             window=WindowSpec.tumbling(DAY, origin=T0), positive_class="late",
                             label_classes={"1": "late", "0": "on_time"})
    rows = _rows(Engine(chdb_store).evaluate(monitor, Span(T0, T0 + DAY)).records)
    assert rows[("*", "ece")].status is ResultStatus.INSUFFICIENT_DATA
    assert "recalibration" not in rows[("*", "ece")].details
    Ingestor(chdb_store).ingest_events([{"model": "n", "event_id": "1", "timestamp": T0,
                                         "features": {"x": 1.0}, "prediction": 0.5}])
    Ingestor(chdb_store).ingest_labels([{"model": "n", "event_id": "1", "label": 1.0,
                                         "timestamp": T0 + 1}])
    bare = Monitor.create("cal2", "n", kind="calibration",
                          window=WindowSpec.tumbling(DAY, origin=T0))
    [only] = Engine(chdb_store).evaluate(bare, Span(T0, T0 + DAY)).records
    assert only.status is ResultStatus.INSUFFICIENT_DATA and "probabilities" in only.details["note"]

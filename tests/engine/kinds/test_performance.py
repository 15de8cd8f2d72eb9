"""Performance with delayed labels on the real engine: realized metrics equal scikit-learn's
on the labelled events, intervals, coverage and re-evaluation as labels arrive, a degraded
verdict only when the interval clears the margin, and CBPE before the labels (within its band
when calibrated; a documented miss when not)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as sk

from driftline.engine import Engine, Monitor, ReferenceSpec, Span, WindowSpec
from driftline.engine.kinds import PerformanceSettings
from driftline.errors import ConfigurationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultRecord, ResultStatus, Store

T0 = 1_700_006_400.0
DAY = 86400.0


def _log(store: Store, day: int, p: np.ndarray, truth: np.ndarray, labelled: int,
         tag: str) -> None:
    n = p.size
    events = [{"model": "m", "event_id": f"{tag}{i}", "timestamp": T0 + day * DAY + i * 10.0,
               "features": {"x": 1.0}, "prediction": {"late": float(p[i]),
                                                      "on_time": float(1 - p[i])}}
              for i in range(n)]
    ingest = Ingestor(store)
    assert ingest.ingest_events(events).accepted == n
    labels = [{"model": "m", "event_id": f"{tag}{i}", "label": float(truth[i]),
               "timestamp": T0 + day * DAY + i * 10.0 + 5} for i in range(labelled)]
    if labels:
        assert ingest.ingest_labels(labels).accepted == labelled


def _monitor(**settings: object) -> Monitor:
    base: dict[str, object] = {"positive_class": "late",
                               "label_classes": {"1": "late", "0": "on_time"}}
    base.update(settings)
    return Monitor.create("perf", "m", kind="performance",
                          window=WindowSpec.tumbling(DAY, origin=T0),
                          reference=ReferenceSpec.fixed(T0, T0 + DAY), **base)


def _rows(records: tuple[ResultRecord, ...]) -> dict[tuple[str, str], ResultRecord]:
    return {(r.subject, r.metric): r for r in records}


def _calibrated(rng: np.random.Generator, n: int, skill: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.clip(rng.beta(1.0, 3.0, n) * skill + (1 - skill) * 0.5, 0.01, 0.99)
    return p, (rng.random(n) < p).astype(np.float64)


def test_realized_metrics_are_scikit_learns_with_intervals_and_coverage(
        chdb_store: Store) -> None:
    rng = np.random.default_rng(0)
    p, truth = _calibrated(rng, 2000, 1.0)
    _log(chdb_store, 0, p, truth, 2000, "r")
    p1, truth1 = _calibrated(rng, 2000, 1.0)
    _log(chdb_store, 1, p1, truth1, 800, "w")
    engine = Engine(chdb_store)
    rows = _rows(engine.evaluate(_monitor(), Span(T0 + DAY, T0 + 2 * DAY)).records)
    assert rows[("*", "label_coverage")].value == pytest.approx(0.4)
    y, s = truth1[:800], p1[:800]
    predicted = (s >= 0.5).astype(float)  # argmax of {late: p, on_time: 1 - p}
    expected = {"accuracy": sk.accuracy_score(y, predicted), "f1": sk.f1_score(y, predicted),
                "precision": sk.precision_score(y, predicted),
                "recall": sk.recall_score(y, predicted), "roc_auc": sk.roc_auc_score(y, s),
                "log_loss": sk.log_loss(y, s)}
    for metric, value in expected.items():
        row = rows[("*", metric)]
        assert row.value == pytest.approx(value), metric
        assert row.lower < row.value < row.upper and row.n_window == 800
        assert row.status is ResultStatus.OK  # the same model on the same population
    accuracy = rows[("*", "accuracy")]
    assert accuracy.details["baseline_most_frequent"] == pytest.approx(1 - y.mean())
    assert accuracy.threshold == pytest.approx(accuracy.details["reference_value"])
    assert ("class:on_time", "recall") in rows
    # more labels arrive: a new revision has more coverage and a narrower interval
    labels = [{"model": "m", "event_id": f"w{i}", "label": float(truth1[i]),
               "timestamp": T0 + DAY + i * 10.0 + 5} for i in range(800, 2000)]
    Ingestor(chdb_store).ingest_labels(labels)
    again = _rows(engine.evaluate(_monitor(), Span(T0 + DAY, T0 + 2 * DAY)).records)
    assert again[("*", "label_coverage")].value == 1.0
    width = again[("*", "accuracy")].upper - again[("*", "accuracy")].lower
    assert width < accuracy.upper - accuracy.lower


def test_degraded_only_when_the_interval_clears_the_margin(chdb_store: Store) -> None:
    rng = np.random.default_rng(1)
    p, truth = _calibrated(rng, 2000, 1.0)
    _log(chdb_store, 0, p, truth, 2000, "r")
    # the model's scores stop meaning anything: labels independent of p
    p1 = rng.beta(1.0, 3.0, 1500)
    _log(chdb_store, 1, p1, (rng.random(1500) < 0.25).astype(float), 1500, "bad")
    # 20 labels of a bad window: too few to say
    p2 = rng.beta(1.0, 3.0, 500)
    _log(chdb_store, 2, p2, (rng.random(500) < 0.25).astype(float), 20, "few")
    engine = Engine(chdb_store)
    bad = engine.evaluate(_monitor(), Span(T0 + DAY, T0 + 2 * DAY))
    rows = _rows(bad.records)
    assert rows[("*", "roc_auc")].status is ResultStatus.ALERT
    assert rows[("*", "roc_auc")].upper < 0.95 * rows[("*", "roc_auc")].threshold
    assert bad.status is ResultStatus.ALERT
    assert "*:roc_auc" in bad.records[0].details["degraded"]
    few = _rows(engine.evaluate(_monitor(), Span(T0 + 2 * DAY, T0 + 3 * DAY)).records)
    assert few[("*", "roc_auc")].status is ResultStatus.INSUFFICIENT_DATA
    # a baseline given in the settings replaces the reference window's
    strict = _rows(engine.evaluate(_monitor(baseline={"accuracy": 0.99}),
                                   Span(T0, T0 + DAY)).records)
    assert strict[("*", "accuracy")].threshold == 0.99
    assert strict[("*", "accuracy")].status is ResultStatus.ALERT


def test_cbpe_estimates_before_labels_and_is_checked_once_they_land(
        chdb_store: Store) -> None:
    rng = np.random.default_rng(2)
    p, truth = _calibrated(rng, 3000, 1.0)
    _log(chdb_store, 0, p, truth, 0, "c")  # no label yet
    engine = Engine(chdb_store)
    before = _rows(engine.evaluate(_monitor(), Span(T0, T0 + DAY)).records)
    estimated = before[("*", "estimated_accuracy")]
    expected = float(np.mean(np.maximum(p, 1 - p)))  # E[accuracy] of calibrated scores
    assert estimated.value == pytest.approx(expected, abs=0.005)
    assert estimated.lower < estimated.value < estimated.upper
    assert ("*", "accuracy") not in before and before[("*", "label_coverage")].value == 0.0
    labels = [{"model": "m", "event_id": f"c{i}", "label": float(truth[i]),
               "timestamp": T0 + i * 10.0 + 5} for i in range(3000)]
    Ingestor(chdb_store).ingest_labels(labels)
    after = _rows(engine.evaluate(_monitor(), Span(T0, T0 + DAY)).records)
    for metric in ("accuracy", "f1", "roc_auc"):
        row = after[("*", f"estimated_{metric}")]
        assert row.details["realized"] == pytest.approx(after[("*", metric)].value)
        assert row.details["realized_in_band"] is True, metric


def test_cbpe_misses_when_the_probabilities_are_not_calibrated(chdb_store: Store) -> None:
    # documented limitation: overconfident scores (true rate p**3) make CBPE optimistic
    rng = np.random.default_rng(3)
    p = rng.uniform(0.5, 0.99, 3000)
    truth = (rng.random(3000) < p**3).astype(float)
    _log(chdb_store, 0, p, truth, 3000, "o")
    rows = _rows(Engine(chdb_store).evaluate(_monitor(), Span(T0, T0 + DAY)).records)
    estimated = rows[("*", "estimated_accuracy")]
    assert estimated.details["realized_in_band"] is False
    assert estimated.lower > rows[("*", "accuracy")].value  # optimistic


def test_regression_metrics(chdb_store: Store) -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(10, 2, 300)
    pred = y + rng.normal(0, 1, 300)
    events = [{"model": "m", "event_id": str(i), "timestamp": T0 + i, "features": {"x": 1.0},
               "prediction": float(pred[i])} for i in range(300)]
    Ingestor(chdb_store).ingest_events(events)
    Ingestor(chdb_store).ingest_labels([{"model": "m", "event_id": str(i), "label": float(y[i]),
                                         "timestamp": T0 + i + 1} for i in range(300)])
    monitor = Monitor.create("reg", "m", kind="performance", task="regression",
                             window=WindowSpec.tumbling(DAY, origin=T0))
    rows = _rows(Engine(chdb_store).evaluate(monitor, Span(T0, T0 + DAY)).records)
    assert rows[("*", "mae")].value == pytest.approx(sk.mean_absolute_error(y, pred))
    assert rows[("*", "rmse")].value == pytest.approx(math.sqrt(sk.mean_squared_error(y, pred)))
    assert rows[("*", "r2")].value == pytest.approx(sk.r2_score(y, pred))
    assert rows[("*", "mae")].details["baseline_mean_predictor"] == pytest.approx(
        np.mean(np.abs(y - y.mean())))
    assert rows[("*", "r2")].status is ResultStatus.OK  # a stored reference: no verdict


def test_settings_are_validated() -> None:
    assert isinstance(Monitor.create("p", "m", kind="performance").settings,
                      PerformanceSettings)
    with pytest.raises(ConfigurationError, match=r"'p'\.task"):
        Monitor.create("p", "m", kind="performance", task="ranking")
    with pytest.raises(ConfigurationError, match=r"'p'\.min_labels"):
        Monitor.create("p", "m", kind="performance", min_labels=1)

"""Prediction monitors on the real engine: output drift (numeric, class, probabilities),
the same output repeated, outputs stuck above a bound, volume against the same hour last week
(significant moves only)."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.engine import Engine, Monitor, ReferenceSpec, Span, WindowSpec
from driftline.engine.kinds import PredictionSettings
from driftline.engine.kinds.prediction import longest_run, longest_stretch
from driftline.errors import ConfigurationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultRecord, ResultStatus, Store

T0 = 1_700_006_400.0
HOUR, WEEK = 3600.0, 604800.0


def _hour(store: Store, start: float, predictions: list[object], tag: str) -> None:
    n = len(predictions)
    events = [{"model": "m", "event_id": f"{tag}-{i}", "timestamp": start + i * HOUR / n,
               "features": {"x": 1.0}, "prediction": p} for i, p in enumerate(predictions)]
    assert Ingestor(store).ingest_events(events).accepted == n


def _monitor(**settings: object) -> Monitor:
    return Monitor.create("pred", "m", kind="prediction",
                          window=WindowSpec.tumbling(HOUR, origin=T0),
                          reference=ReferenceSpec.seasonal(WEEK), **settings)


def _by_metric(records: tuple[ResultRecord, ...]) -> dict[tuple[str, str], ResultRecord]:
    return {(r.subject, r.metric): r for r in records}


def test_runs_and_stretches() -> None:
    assert longest_run([1, 1, 2, 2, 2, None, None, 3]) == 3
    assert longest_run([float("nan")] * 4) == 0 and longest_run([]) == 0
    ts = np.arange(6, dtype=np.float64) * 10
    assert longest_stretch(ts, np.array([1, 1, 0, 1, 1, 1], dtype=bool)) == 20.0


def test_output_drift_repeats_stuck_outputs_and_volume(chdb_store: Store) -> None:
    rng = np.random.default_rng(0)
    week_ago = [float(p) for p in rng.beta(2, 5, 400)]
    _hour(chdb_store, T0, week_ago, "ref")
    # a week later: outputs pinned at 0.99 (a broken feature pipeline), half the volume
    _hour(chdb_store, T0 + WEEK, [0.99] * 200, "now")
    monitor = _monitor(stuck_above=0.95, stuck_for=1800.0, repeat_max=50)
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + WEEK, T0 + WEEK + HOUR))
    rows = _by_metric(evaluation.records)
    drift = rows[("prediction", "output_drift")]
    assert drift.status is ResultStatus.ALERT and drift.details["test"] == "ks"
    assert drift.n_reference == 400 and drift.n_window == 200
    assert rows[("prediction", "longest_repeat")].value == 200.0
    assert rows[("prediction", "longest_repeat")].status is ResultStatus.ALERT
    stuck = rows[("prediction", "stuck_above_s")]
    assert stuck.value == pytest.approx(HOUR * 199 / 200) and stuck.status is ResultStatus.ALERT
    volume = rows[("*", "volume_ratio")]
    assert volume.value == 0.5 and volume.n_reference == 400
    # exactly the drop threshold is not below it; the p-value is the exact binomial one
    assert volume.status is ResultStatus.OK and volume.p_value < 1e-10
    assert evaluation.status is ResultStatus.ALERT
    assert set(evaluation.records[0].details["alerts"]) == {
        "prediction:output_drift", "prediction:longest_repeat", "prediction:stuck_above_s"}


def test_a_small_volume_move_is_not_an_alert_and_a_large_one_is(chdb_store: Store) -> None:
    _hour(chdb_store, T0, [0.1, 0.2, 0.3], "a")
    _hour(chdb_store, T0 + WEEK, [0.1], "b")  # 1 against 3: a third, but not significant
    _hour(chdb_store, T0 + HOUR, [0.5] * 300, "c")
    _hour(chdb_store, T0 + WEEK + HOUR, [0.5] * 30, "d")  # a tenth of last week's
    engine = Engine(chdb_store)
    quiet = _by_metric(engine.evaluate(_monitor(test=None, label_test=None),
                                       Span(T0 + WEEK, T0 + WEEK + HOUR)).records)
    assert quiet[("*", "volume_ratio")].status is ResultStatus.OK
    drop = _by_metric(engine.evaluate(_monitor(test=None, repeat_max=None),
                                      Span(T0 + WEEK + HOUR, T0 + WEEK + 2 * HOUR)).records)
    assert drop[("*", "volume_ratio")].status is ResultStatus.ALERT
    assert drop[("*", "volume_ratio")].value == pytest.approx(0.1)
    assert ("prediction", "longest_repeat") not in drop


def test_class_probabilities_and_labels_are_outputs(chdb_store: Store) -> None:
    rng = np.random.default_rng(1)
    before = [{"late": float(p), "ok": float(1 - p)} for p in rng.beta(2, 8, 300)]
    after = [{"late": float(p), "ok": float(1 - p)} for p in rng.beta(8, 2, 300)]
    _hour(chdb_store, T0, before, "before")
    _hour(chdb_store, T0 + WEEK, after, "after")
    rows = _by_metric(Engine(chdb_store).evaluate(
        _monitor(), Span(T0 + WEEK, T0 + WEEK + HOUR)).records)
    for subject in ("proba:late", "proba:ok", "prediction_label"):
        assert rows[(subject, "output_drift")].status is ResultStatus.ALERT, subject
    assert rows[("prediction_label", "output_drift")].details["test"] == "chi2"


def test_a_stored_reference_has_no_outputs_and_an_empty_window_is_no_data(
        chdb_store: Store) -> None:
    _hour(chdb_store, T0, [0.1] * 20, "a")
    monitor = Monitor.create("pred", "m", kind="prediction",
                             window=WindowSpec.tumbling(HOUR, origin=T0), volume_period=None)
    rows = _by_metric(Engine(chdb_store).evaluate(monitor, Span(T0, T0 + HOUR)).records)
    assert rows[("prediction", "output_drift")].status is ResultStatus.REFERENCE_UNAVAILABLE
    [empty] = Engine(chdb_store).evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR)).records
    assert empty.status is ResultStatus.NO_DATA


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigurationError, match=r"'p'\.test: unknown detector"):
        Monitor.create("p", "m", kind="prediction", test="magic")
    with pytest.raises(ConfigurationError, match=r"'p'\.volume_spike: .*greater than 1"):
        Monitor.create("p", "m", kind="prediction", volume_spike=0.5)
    assert isinstance(Monitor.create("p", "m", kind="prediction").settings, PredictionSettings)

"""Prediction monitors: what the model outputs, without labels.

Per window (one bounded read of the outputs, in time order, up to ``max_rows`` rows: the
latest when there are more):

* ``output_drift`` — a drift test of the outputs against the monitor's reference window
  (``trailing``, ``seasonal`` or ``fixed``; a stored training reference has no outputs, so it
  is ``reference_unavailable``): ``test`` (default ``ks``) on the numeric prediction and on
  each class probability (subject ``proba:<class>``), ``label_test`` (default ``chi2``) on the
  predicted class. Each is the detector's verdict at its defaults (calibrated: see
  ``driftline.detector``).
* ``longest_repeat`` — the longest run of one identical output in a row (a model stuck on a
  constant, a cache gone wrong); alert above ``repeat_max`` (default 50).
* ``stuck_above_s`` / ``stuck_below_s`` — the longest stretch of time (seconds) with every
  numeric output above ``stuck_above`` (or below ``stuck_below``); alert when it reaches
  ``stuck_for`` seconds (default 30 minutes). Off unless a bound is set.
* ``volume_ratio`` — the window's event count over the count of the same window
  ``volume_period`` seconds earlier (default a week: the same hour last week); alert when the
  ratio is below ``volume_drop`` (default 0.5) or above ``volume_spike`` (default 2) *and*
  the difference is significant (two-sided exact binomial test of the window's share of the
  two counts against 1/2, at ``alpha``, default 0.01), so 3 events against 1 is not a spike.

One record per metric and subject plus a ``"*"`` record (alert if any metric alerts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from scipy.stats import binomtest

from driftline.detector import Status, detector_capabilities, get_detector
from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    record,
    register_kind,
)
from driftline.engine.kinds.performance import parse_probabilities
from driftline.engine.windows import Span
from driftline.storage import ResultRecord, ResultStatus

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["PredictionKind", "PredictionSettings", "longest_run", "longest_stretch"]

_STATUS = {Status.DRIFT: ResultStatus.ALERT, Status.NO_DRIFT: ResultStatus.OK,
           Status.INSUFFICIENT_DATA: ResultStatus.INSUFFICIENT_DATA}
_OUTPUTS = ["ts", "prediction", "prediction_label", "prediction_probs"]


class PredictionSettings(BaseModel):
    """See the module docstring for each setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test: str | None = "ks"
    label_test: str | None = "chi2"
    repeat_max: int | None = Field(50, ge=1)
    stuck_above: float | None = None
    stuck_below: float | None = None
    stuck_for: float = Field(1800.0, gt=0)
    volume_period: float | None = Field(604800.0, gt=0)
    volume_drop: float = Field(0.5, gt=0, lt=1)
    volume_spike: float = Field(2.0, gt=1)
    alpha: float = Field(0.01, gt=0, lt=1)
    max_rows: int = Field(200_000, ge=1)

    @field_validator("test", "label_test")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None:
            detector_capabilities(value)  # names the known detectors
        return value


def longest_run(values: Sequence[object] | npt.NDArray[Any]) -> int:
    """The length of the longest run of equal consecutive values (missing ones break runs)."""
    arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        return 0
    present = ~np.asarray(pd.isna(arr), dtype=bool)
    same = np.zeros(arr.size, dtype=bool)
    same[1:] = (arr[1:] == arr[:-1]) & present[1:] & present[:-1]
    run = np.cumsum(~same)  # a new run id wherever a value does not repeat the last
    return int(np.bincount(run[present]).max()) if present.any() else 0


def longest_stretch(ts: npt.NDArray[np.float64], inside: npt.NDArray[np.bool_]) -> float:
    """The longest time from the first to the last of consecutive events with ``inside``."""
    if not inside.any():
        return 0.0
    flags = np.r_[False, inside, False].astype(np.int8)
    edges = np.diff(flags)
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return float(np.max(ts[last] - ts[first]))


def _probabilities(raw: npt.NDArray[Any]) -> dict[str, npt.NDArray[np.float64]]:
    """Per class, the probability column of JSON objects (NaN where an event lacks it)."""
    parsed = parse_probabilities(raw.tolist())
    classes = sorted({k for p in parsed for k in p})
    return {c: np.array([float(p.get(c, math.nan)) for p in parsed]) for c in classes}


def _outputs(columns: Mapping[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
    """The output subjects with values: prediction, prediction_label, proba:<class>."""
    out: dict[str, npt.NDArray[Any]] = {}
    numeric = np.asarray(columns["prediction"], dtype=np.float64)
    if np.isfinite(numeric).any():
        out["prediction"] = numeric
    labels = np.asarray(columns["prediction_label"], dtype=object)
    if any(v is not None for v in labels.tolist()):
        out["prediction_label"] = labels
    for cls, values in _probabilities(np.asarray(columns["prediction_probs"])).items():
        out[f"proba:{cls}"] = values
    return out


@register_kind("prediction")
class PredictionKind(MonitorKind):
    settings_model = PredictionSettings

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        s = monitor.settings
        assert isinstance(s, PredictionSettings)
        n_window = ctx.count(monitor.model, window)
        rows: list[ResultRecord] = []
        if s.volume_period is not None:
            rows.append(self._volume(monitor, window, ctx, n_window, s))
        if n_window == 0:
            status = rows[0].status if rows else ResultStatus.NO_DATA
            overall = record(monitor, self.name, window, None, "*", "prediction_alerts",
                             float(status is ResultStatus.ALERT), status,
                             details={"note": "no events in the window"})
            return Evaluation(monitor.id, window, status, (overall, *rows), None)
        columns = ctx.store.events.read(monitor.model, _OUTPUTS, window.start, window.end,
                                        limit=s.max_rows, newest_first=True)
        columns = {k: np.asarray(v)[::-1] for k, v in columns.items()}  # time order
        outputs = _outputs(columns)
        reference = monitor.reference.span_for(window)
        rows += self._drift(monitor, window, reference, outputs, ctx, s)
        numeric = outputs.get("prediction")
        for subject, values in outputs.items():
            if s.repeat_max is not None and not subject.startswith("proba:"):
                run = longest_run(values)
                rows.append(record(monitor, self.name, window, None, subject, "longest_repeat",
                                   float(run), ResultStatus.ALERT if run > s.repeat_max
                                   else ResultStatus.OK, threshold=float(s.repeat_max),
                                   n_window=len(values)))
        ts = np.asarray(columns["ts"], dtype=np.float64)
        for name, bound in (("stuck_above_s", s.stuck_above), ("stuck_below_s", s.stuck_below)):
            if bound is None or numeric is None:
                continue
            inside = numeric > bound if name == "stuck_above_s" else numeric < bound
            stretch = longest_stretch(ts, np.asarray(inside, dtype=bool))
            rows.append(record(monitor, self.name, window, None, "prediction", name, stretch,
                               ResultStatus.ALERT if stretch >= s.stuck_for else ResultStatus.OK,
                               threshold=s.stuck_for, n_window=int(numeric.size),
                               details={"bound": bound}))
        alerts = [f"{r.subject}:{r.metric}" for r in rows if r.status is ResultStatus.ALERT]
        status = ResultStatus.ALERT if alerts else ResultStatus.OK
        overall = record(monitor, self.name, window, reference, "*", "prediction_alerts",
                         float(len(alerts)), status, n_window=n_window,
                         details={"alerts": alerts, "outputs": sorted(outputs)})
        return Evaluation(monitor.id, window, status, (overall, *rows), outputs)

    def _volume(self, monitor: Monitor, window: Span, ctx: EvaluationContext, n_window: int,
                s: PredictionSettings) -> ResultRecord:
        assert s.volume_period is not None
        before = Span(window.start - s.volume_period, window.end - s.volume_period)
        n_before = ctx.count(monitor.model, before)
        if n_before == 0:
            return record(monitor, self.name, window, before, "*", "volume_ratio", math.nan,
                          ResultStatus.REFERENCE_UNAVAILABLE, n_window=n_window,
                          details={"note": "no events in the same window one period before"})
        ratio = n_window / n_before
        p_value = float(binomtest(n_window, n_window + n_before, 0.5).pvalue)
        moved = ratio < s.volume_drop or ratio > s.volume_spike
        return record(monitor, self.name, window, before, "*", "volume_ratio", ratio,
                      ResultStatus.ALERT if moved and p_value < s.alpha else ResultStatus.OK,
                      lower=s.volume_drop, upper=s.volume_spike, p_value=p_value,
                      n_reference=n_before, n_window=n_window)

    def _drift(self, monitor: Monitor, window: Span, reference: Span | None,
               outputs: Mapping[str, npt.NDArray[Any]], ctx: EvaluationContext,
               s: PredictionSettings) -> list[ResultRecord]:
        chosen = {k: (s.label_test if k == "prediction_label" else s.test) for k in outputs}
        tests = {k: t for k, t in chosen.items() if t is not None}
        if not tests:
            return []
        if reference is None or ctx.count(monitor.model, reference) == 0:
            note = ("a stored reference has no outputs: use a trailing, seasonal or fixed "
                    "reference" if reference is None else "no events in the reference window")
            return [record(monitor, self.name, window, reference, k, "output_drift", math.nan,
                           ResultStatus.REFERENCE_UNAVAILABLE, details={"note": note})
                    for k in tests]
        ref = _outputs(ctx.store.events.read(monitor.model, _OUTPUTS, reference.start,
                                             reference.end, limit=s.max_rows,
                                             newest_first=True))
        rows = []
        for subject, test in tests.items():
            if subject not in ref:
                rows.append(record(monitor, self.name, window, reference, subject,
                                   "output_drift", math.nan, ResultStatus.REFERENCE_UNAVAILABLE,
                                   details={"note": "the reference window has no such output"}))
                continue
            result = get_detector(test).fit({subject: ref[subject]}).score(
                {subject: outputs[subject]})
            rows.append(record(monitor, self.name, window, reference, subject, "output_drift",
                               result.statistic, _STATUS[result.status],
                               threshold=result.threshold,
                               p_value=math.nan if result.p_value is None else result.p_value,
                               effect_size=result.effect_size, n_reference=result.n_reference,
                               n_window=result.n_window, details={"test": test}))
        return rows

"""Calibration: are the predicted probabilities right, window by window, as labels arrive.

Per window, on the labelled events with logged class probabilities (see
``driftline.metrics.calibration``; binary on P(``positive_class``), else top-label):

* ``ece`` (``"*"``): expected calibration error over ``n_bins`` bins with a bootstrap interval
  (``lower`` / ``upper`` at ``confidence``); ``alert`` ("calibration drift") when the whole
  interval is above the reference ECE (``baseline_ece``, else the reference window's) by more
  than ``margin`` (absolute, default 0.02); fewer than ``min_labels`` is
  ``insufficient_data``.
* ``brier`` (``"*"``): the Brier score, with the reference's in ``details``.
* ``observed_rate`` per bin (subject ``bin:0.1-0.2``): the reliability table, the observed
  rate with its Clopper-Pearson interval and, in ``details``, the mean probability and count.
* ``recalibration`` (``details`` of the ``ece`` record, with ``recalibrate`` = ``platt``
  (default) or ``isotonic``): the map fitted on this window's labels, as parameters a user
  applies where the model serves (``driftline.metrics.calibration.Recalibration``), and the
  ECE it leaves on the window (in-sample, so optimistic).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    no_data,
    record,
    register_kind,
)
from driftline.engine.kinds.performance import (
    PerformanceSettings,
    classification_data,
    reference_labelled,
)
from driftline.engine.windows import Span
from driftline.metrics import estimate
from driftline.metrics.calibration import (
    brier_score,
    fit_isotonic,
    fit_platt,
    reliability_table,
    weighted_ece,
)
from driftline.storage import ResultRecord, ResultStatus

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["CalibrationKind", "CalibrationSettings", "probabilities_and_outcomes"]


class CalibrationSettings(BaseModel):
    """See the module docstring; ``positive_class`` and ``label_classes`` as for the
    performance kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive_class: str | None = None
    label_classes: dict[str, str] = Field(default_factory=dict)
    n_bins: int = Field(10, ge=2, le=100)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    margin: float = Field(0.02, ge=0.0, lt=1.0)
    min_labels: int = Field(100, ge=2)
    baseline_ece: float | None = Field(None, ge=0.0, le=1.0)
    recalibrate: Literal["platt", "isotonic"] | None = "platt"
    seed: int = 0


def probabilities_and_outcomes(joined: Mapping[str, Any], s: CalibrationSettings
                               ) -> tuple[np.ndarray, np.ndarray] | None:
    """(probability, 0/1 outcome) per labelled event; None without class probabilities."""
    data = classification_data(joined, PerformanceSettings(
        positive_class=s.positive_class, label_classes=s.label_classes, estimate=False))
    if data is None or data.scores is None:
        return None
    if data.positive is not None:
        return data.scores[:, data.positive], (data.truth == data.positive).astype(np.float64)
    top = data.scores.argmax(axis=1)
    return (data.scores[np.arange(data.n), top],
            (top == data.truth).astype(np.float64))


@register_kind("calibration")
class CalibrationKind(MonitorKind):
    settings_model = CalibrationSettings
    uses_labels = True

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        s = monitor.settings
        assert isinstance(s, CalibrationSettings)
        if ctx.count(monitor.model, window) == 0:
            return no_data(monitor, self.name, window, "ece")
        reference = monitor.reference.span_for(window)
        found = probabilities_and_outcomes(
            ctx.store.labels.read_labeled(monitor.model, window.start, window.end), s)
        if found is None:
            only = record(monitor, self.name, window, reference, "*", "ece", math.nan,
                          ResultStatus.INSUFFICIENT_DATA,
                          details={"note": "no labelled event with class probabilities"})
            return Evaluation(monitor.id, window, only.status, (only,), None)
        p, y = found
        n = int(p.size)
        ref = self._reference(monitor, reference, ctx, s)
        ece = estimate(weighted_ece(p, y, s.n_bins), n, confidence=s.confidence, seed=s.seed)
        if n < s.min_labels:
            status = ResultStatus.INSUFFICIENT_DATA
        elif "ece" in ref and ece.lower > ref["ece"] + s.margin:
            status = ResultStatus.ALERT
        else:
            status = ResultStatus.OK
        details: dict[str, Any] = {"reference_ece": ref.get("ece"), "n_bins": s.n_bins}
        if s.recalibrate is not None and n >= s.min_labels and 0 < y.sum() < n:
            fitted = fit_platt(p, y) if s.recalibrate == "platt" else fit_isotonic(p, y)
            after = weighted_ece(fitted(p), y, s.n_bins)(np.ones((1, n)))[0]
            details["recalibration"] = {"method": fitted.method, "params": fitted.params,
                                        "ece_after": float(after)}
        rows: list[ResultRecord] = [
            record(monitor, self.name, window, reference, "*", "ece", ece.value, status,
                   lower=ece.lower, upper=ece.upper, n_window=n,
                   threshold=ref["ece"] + s.margin if "ece" in ref else math.nan,
                   details=details),
            record(monitor, self.name, window, reference, "*", "brier", brier_score(p, y),
                   ResultStatus.OK, n_window=n, details={"reference_brier": ref.get("brier")}),
        ]
        for b in reliability_table(p, y, s.n_bins):
            rows.append(record(monitor, self.name, window, reference,
                               f"bin:{b.low:g}-{b.high:g}", "observed_rate", b.observed_rate,
                               ResultStatus.OK, lower=b.lower, upper=b.upper, n_window=b.count,
                               details={"mean_probability": b.mean_probability}))
        return Evaluation(monitor.id, window, status, tuple(rows), ece)

    def _reference(self, monitor: Monitor, reference: Span | None, ctx: EvaluationContext,
                   s: CalibrationSettings) -> dict[str, float]:
        if s.baseline_ece is not None:
            return {"ece": s.baseline_ece}
        if reference is None:
            return {}

        def compute(joined: Mapping[str, Any]) -> dict[str, float]:
            found = probabilities_and_outcomes(joined, s) if len(joined["event_id"]) else None
            if found is None or found[0].size < s.min_labels:
                return {}
            p, y = found
            return {"ece": float(weighted_ece(p, y, s.n_bins)(np.ones((1, p.size)))[0]),
                    "brier": brier_score(p, y)}
        return reference_labelled(monitor, reference, ctx, compute)

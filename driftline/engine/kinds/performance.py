"""Performance with natural labels, and estimated before they arrive.

Labels are joined to the window's events by event id (``store.labels.read_labeled``); the
window is re-evaluated, as a new revision, whenever labels arrive (``uses_labels``). Per
window:

* ``label_coverage`` (``"*"``): the share of the window's events labelled so far.
* each metric (classification: accuracy, precision, recall, f1, roc_auc, log_loss, and per
  class ``class:<c>`` precision / recall / f1; regression: mae, rmse, r2), with a
  percentile-bootstrap interval at ``confidence`` (``lower`` / ``upper``; seeded by the
  monitor) so 40 labels are not read like 40,000. Verdict against the reference value (the
  ``baseline`` setting, else the same metric on the reference window's labelled events):
  ``alert`` ("degraded") only when the whole interval is worse than the reference by more than
  ``margin`` (relative, default 5%); fewer than ``min_labels`` labels is
  ``insufficient_data``. ``details`` carry the reference value and a baseline a reader can
  compare with: the most frequent class's accuracy, or the mean predictor's MAE / RMSE.
* ``estimated_<metric>`` (classification with logged class probabilities, ``estimate``):
  confidence-based performance estimation (as NannyML's CBPE): labels are drawn from the
  predicted probabilities (``estimate_draws`` times) and the metric computed on each draw;
  the value is their mean and ``lower`` / ``upper`` the ``confidence`` band. It needs no
  label, so it is there weeks before the labels land; once they have, ``details`` hold the
  realized value and whether it fell in the band. It assumes calibrated probabilities: when
  they are not, the estimate is biased (see the calibration monitor).

Classes: a label's class is its ``label_class``, or its number through ``label_classes``
(e.g. ``{"1" = "late", "0" = "on_time"}``), or the number itself; a prediction's class is its
``prediction_label``, or the numeric prediction against ``threshold`` (``positive_class``
above it). ``positive_class`` makes precision / recall / F1 / AUC those of that class
(binary); without it they are macro means.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    no_data,
    record,
    register_kind,
)
from driftline.engine.windows import Span
from driftline.metrics import (
    CLASSIFICATION_METRICS,
    ClassificationData,
    RegressionData,
    classification_metrics,
    estimate,
    regression_metrics,
)
from driftline.storage import ResultRecord, ResultStatus

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["LOWER_IS_BETTER", "PerformanceKind", "PerformanceSettings", "classification_data",
           "parse_probabilities", "reference_labelled"]

_FloatArray = npt.NDArray[np.float64]
_Metrics = dict[tuple[str, str], Callable[[_FloatArray], _FloatArray]]
#: metrics where a larger value is worse
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})


class PerformanceSettings(BaseModel):
    """See the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Literal["classification", "regression"] = "classification"
    positive_class: str | None = None
    label_classes: dict[str, str] = Field(default_factory=dict)
    threshold: float = 0.5
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    margin: float = Field(0.05, ge=0.0, lt=1.0)
    min_labels: int = Field(30, ge=2)
    baseline: dict[str, float] = Field(default_factory=dict)
    estimate: bool = True
    estimate_draws: int = Field(200, ge=20, le=5000)
    estimate_rows: int = Field(50_000, ge=100)
    seed: int = 0


def _number_class(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_probabilities(raw: Sequence[Any]) -> list[dict[str, float]]:
    """The logged class probabilities of each event (``prediction_probs``: a JSON object, or
    '' when the event logged none)."""
    return [json.loads(p) if isinstance(p, str) and p else {} for p in raw]


def classification_data(columns: Mapping[str, Any], s: PerformanceSettings,
                        truth: Sequence[str] | None = None) -> ClassificationData | None:
    """Truth, predicted classes and (when every event has them) class probabilities from
    joined columns; ``truth`` overrides the labels (CBPE's drawn ones). None: no rows."""
    predicted: list[str] = []
    for label, score in zip(columns["prediction_label"], columns["prediction"], strict=True):
        if label is not None:
            predicted.append(str(label))
        elif s.positive_class is not None and score == score:
            above = score >= s.threshold
            predicted.append(s.positive_class if above else f"not {s.positive_class}")
        else:
            predicted.append(_number_class(float(score)) if score == score else "")
    if truth is None:
        truth = [str(c) if c is not None else s.label_classes.get(_number_class(v),
                                                                  _number_class(v))
                 for c, v in zip(columns["label_class"], columns["label"], strict=True)]
    if not truth:
        return None
    probs = parse_probabilities(columns["prediction_probs"])
    classes = sorted(set(truth) | set(predicted) | {k for p in probs for k in p})
    index = {c: i for i, c in enumerate(classes)}
    scores = None
    if all(probs):
        scores = np.array([[p.get(c, 0.0) for c in classes] for p in probs], dtype=np.float64)
    positive = index.get(s.positive_class) if s.positive_class is not None else None
    return ClassificationData(np.array([index[t] for t in truth], dtype=np.int64),
                              np.array([index[p] for p in predicted], dtype=np.int64),
                              tuple(classes), scores, positive)


def _metrics(columns: Mapping[str, Any], s: PerformanceSettings) -> tuple[_Metrics, int]:
    if s.task == "regression":
        data = RegressionData(np.asarray(columns["label"], dtype=np.float64),
                              np.asarray(columns["prediction"], dtype=np.float64))
        return regression_metrics(data), data.n
    found = classification_data(columns, s)
    return (classification_metrics(found), found.n) if found is not None else ({}, 0)


def reference_labelled(monitor: Monitor, reference: Span, ctx: EvaluationContext,
                       compute: Callable[[Mapping[str, Any]], dict[str, float]]
                       ) -> dict[str, float]:
    """``compute`` on the reference window's labelled events, cached per monitor until a
    label of the reference window arrives."""
    state = ctx.state(monitor)
    key = ("reference", reference.start, reference.end,
           ctx.store.labels.latest_received_ns(monitor.model, reference.start, reference.end))
    if state.get("reference_key") != key:
        joined = ctx.store.labels.read_labeled(monitor.model, reference.start, reference.end)
        state["reference_key"], state["reference_values"] = key, compute(joined)
    values: dict[str, float] = state["reference_values"]
    return values


def _degraded(metric: str, lower: float, upper: float, reference: float, margin: float) -> bool:
    if metric in LOWER_IS_BETTER:
        return lower > reference + margin * abs(reference)
    return upper < reference - margin * abs(reference)


@register_kind("performance")
class PerformanceKind(MonitorKind):
    settings_model = PerformanceSettings
    uses_labels = True

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        s = monitor.settings
        assert isinstance(s, PerformanceSettings)
        n_window = ctx.count(monitor.model, window)
        if n_window == 0:
            return no_data(monitor, self.name, window, "label_coverage")
        joined = ctx.store.labels.read_labeled(monitor.model, window.start, window.end)
        labelled = len(joined["event_id"])
        reference = monitor.reference.span_for(window)
        ref_values = self._reference_values(monitor, reference, ctx, s)
        metrics, n = _metrics(joined, s) if labelled else ({}, 0)
        rows: list[ResultRecord] = []
        realized: dict[str, float] = {}
        for (subject, metric), fn in metrics.items():
            found = estimate(fn, n, confidence=s.confidence, seed=s.seed)
            realized[f"{subject}/{metric}"] = found.value
            ref = ref_values.get(f"{subject}/{metric}")
            details: dict[str, Any] = {"reference_value": ref, "resamples": found.resamples,
                                       "confidence": s.confidence}
            details.update(self._baselines(joined, s, metric) if subject == "*" else {})
            if n < s.min_labels:
                status = ResultStatus.INSUFFICIENT_DATA
            elif ref is None or not math.isfinite(found.value):
                status = ResultStatus.OK
            else:
                status = (ResultStatus.ALERT if _degraded(metric, found.lower, found.upper, ref,
                                                          s.margin) else ResultStatus.OK)
            rows.append(record(monitor, self.name, window, reference, subject, metric,
                               found.value, status, lower=found.lower, upper=found.upper,
                               threshold=math.nan if ref is None else ref, n_window=n,
                               details=details))
        if s.task == "classification" and s.estimate:
            rows += self._estimated(monitor, window, reference, ctx, s, realized)
        degraded = [f"{r.subject}:{r.metric}" for r in rows if r.status is ResultStatus.ALERT]
        status = ResultStatus.ALERT if degraded else ResultStatus.OK
        overall = record(monitor, self.name, window, reference, "*", "label_coverage",
                         labelled / n_window, status, n_window=n_window,
                         details={"labelled": labelled, "degraded": degraded})
        return Evaluation(monitor.id, window, status, (overall, *rows), realized)

    def _reference_values(self, monitor: Monitor, reference: Span | None,
                          ctx: EvaluationContext, s: PerformanceSettings) -> dict[str, float]:
        values = {f"*/{k}": v for k, v in s.baseline.items()}
        if reference is None or values:
            return values

        def compute(joined: Mapping[str, Any]) -> dict[str, float]:
            metrics, n = _metrics(joined, s) if len(joined["event_id"]) else ({}, 0)
            one = np.ones((1, n))
            return {f"{subject}/{metric}": float(fn(one)[0])
                    for (subject, metric), fn in metrics.items() if n >= s.min_labels}
        return reference_labelled(monitor, reference, ctx, compute)

    def _baselines(self, joined: Mapping[str, Any], s: PerformanceSettings,
                   metric: str) -> dict[str, float]:
        if s.task == "regression":
            truth = np.asarray(joined["label"], dtype=np.float64)
            if metric == "mae":
                return {"baseline_mean_predictor": float(np.mean(np.abs(truth - truth.mean())))}
            if metric == "rmse":
                return {"baseline_mean_predictor": float(np.std(truth))}
            return {"baseline_mean_predictor": 0.0} if metric == "r2" else {}
        if metric != "accuracy":
            return {}
        data = classification_data(joined, s)
        if data is None:
            return {}
        return {"baseline_most_frequent": float(np.bincount(data.truth).max() / data.n)}

    def _estimated(self, monitor: Monitor, window: Span, reference: Span | None,
                   ctx: EvaluationContext, s: PerformanceSettings,
                   realized: Mapping[str, float]) -> list[ResultRecord]:
        columns = ctx.store.events.read(
            monitor.model, ["prediction", "prediction_label", "prediction_probs"],
            window.start, window.end, limit=s.estimate_rows, sample_seed=s.seed)
        rows = len(columns["prediction"])
        probs = parse_probabilities(list(columns["prediction_probs"]))
        if not rows or not all(probs):
            return []
        classes = sorted({k for p in probs for k in p})
        matrix = np.array([[p.get(c, 0.0) for c in classes] for p in probs], dtype=np.float64)
        matrix /= matrix.sum(axis=1, keepdims=True)
        rng = np.random.default_rng(s.seed)
        cumulative = np.cumsum(matrix, axis=1)
        base = {**columns, "label": np.zeros(rows), "label_class": [None] * rows}
        template = classification_data(base, s, [classes[0]] * rows)
        assert template is not None
        codes = np.array([template.classes.index(c) for c in classes], dtype=np.int64)
        one = np.ones((1, rows))
        draws: dict[str, list[float]] = {}
        for _ in range(s.estimate_draws):
            picked = (rng.random((rows, 1)) > cumulative).sum(axis=1).clip(0, len(classes) - 1)
            data = dataclasses.replace(template, truth=codes[picked])
            for (subject, metric), fn in classification_metrics(data).items():
                if subject == "*" and metric in CLASSIFICATION_METRICS:
                    draws.setdefault(metric, []).append(float(fn(one)[0]))
        tail = (1.0 - s.confidence) / 2.0
        out = []
        for metric, values in draws.items():
            arr = np.asarray(values)
            arr = arr[np.isfinite(arr)]
            if not arr.size:
                continue
            lower, upper = (float(q) for q in np.quantile(arr, [tail, 1.0 - tail]))
            actual = realized.get(f"*/{metric}")
            details: dict[str, Any] = {"method": "cbpe", "draws": s.estimate_draws,
                                       "events": rows, "realized": actual}
            if actual is not None and math.isfinite(actual):
                details["realized_in_band"] = lower <= actual <= upper
            out.append(record(monitor, self.name, window, reference, "*",
                              f"estimated_{metric}", float(arr.mean()), ResultStatus.OK,
                              lower=lower, upper=upper, n_window=rows, details=details))
        return out

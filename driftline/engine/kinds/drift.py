"""Drift: a detector of ``driftline.detector`` compares each window with the reference.

Per window: the window's event count (no events -> one ``no_data`` record), the detector
fitted once per reference (a reference that cannot be fitted -> ``reference_unavailable``),
then the score — from counts made in ClickHouse when the detector scores from counts (no raw
row leaves the store), else from the window's columns (a deterministic sample past
``max_rows``, or the detector's own sample cap for the multivariate tests). One record per
feature plus a ``"*"`` record with the overall verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from driftline.detector import (
    BatchDetector,
    BinnedCountScorer,
    CountScorer,
    DriftResult,
    Status,
    as_count_scorer,
    detector_capabilities,
    get_detector,
)
from driftline.detector.chi2 import MISSING
from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    record,
    register_kind,
)
from driftline.engine.windows import Span
from driftline.errors import ConfigurationError, DataStateError, NotFoundError, ValidationError
from driftline.storage import ResultRecord, ResultStatus

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["DriftKind", "DriftSettings"]

_STATUS = {Status.DRIFT: ResultStatus.ALERT, Status.NO_DRIFT: ResultStatus.OK,
           Status.INSUFFICIENT_DATA: ResultStatus.INSUFFICIENT_DATA}


class DriftSettings(BaseModel):
    """``test``: a detector name; ``settings``: the detector's own settings; ``max_rows``: the
    rows read per window and reference (a deterministic sample, seeded by ``sample_seed``,
    beyond)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test: str = "ks"
    settings: dict[str, Any] = Field(default_factory=dict)
    max_rows: int = Field(200_000, ge=1)
    sample_seed: int = 0

    @field_validator("test")
    @classmethod
    def _known_test(cls, value: str) -> str:
        detector_capabilities(value)  # a ConfigurationError names the known detectors
        return value

    @field_validator("settings")
    @classmethod
    def _detector_accepts_settings(cls, value: dict[str, Any], info: ValidationInfo
                                   ) -> dict[str, Any]:
        test = info.data.get("test")
        if test is None:  # the test itself was refused, and said so
            return value
        try:
            get_detector(test, **value)  # fail at definition, not at the first window
        except (TypeError, ConfigurationError) as exc:
            raise ValueError(str(exc)) from None
        return value


@register_kind("drift")
class DriftKind(MonitorKind):
    settings_model = DriftSettings

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        settings = _settings(monitor)
        caps = detector_capabilities(settings.test)
        features = ctx.features(monitor, lambda kind: kind in caps.input_kinds)
        if not features:
            raise DataStateError(f"monitor {monitor.id!r}: the model has no feature the "
                                 f"{settings.test!r} test can take")
        reference = monitor.reference.span_for(window)
        n_window = ctx.count(monitor.model, window)
        if n_window == 0:
            return self._overall_only(monitor, window, reference, ResultStatus.NO_DATA,
                                      "no events in the window")
        try:
            detector = self._fitted(monitor, features, reference, ctx)
        except (ValidationError, NotFoundError, DataStateError) as exc:
            # e.g. an empty trailing reference before the first week of data: the window
            # cannot be tested; saying so (stored) lets the scheduler move on
            return self._overall_only(monitor, window, reference,
                                      ResultStatus.REFERENCE_UNAVAILABLE, f"reference: {exc}",
                                      n_window=n_window)
        scorer = as_count_scorer(detector)
        if scorer is not None:
            result = _score_counts(monitor, scorer, window, ctx)
        else:
            limit = min(settings.max_rows, detector.sample_cap or settings.max_rows)
            result = detector.score(ctx.sample(monitor.model, list(features), window,
                                               limit=limit, seed=settings.sample_seed))
        records = _records(monitor, window, reference, result, ctx.profile(monitor.model, window))
        return Evaluation(monitor.id, window, records[0].status, tuple(records), result)

    def _overall_only(self, monitor: Monitor, window: Span, reference: Span | None,
                      status: ResultStatus, note: str, n_window: int = 0) -> Evaluation:
        only = record(monitor, self.name, window, reference, "*", _settings(monitor).test,
                      math.nan, status, n_window=n_window,
                      details={"note": note, "reference": _reference_kind(reference)})
        return Evaluation(monitor.id, window, status, (only,), None)

    def _fitted(self, monitor: Monitor, features: Mapping[str, str], span: Span | None,
                ctx: EvaluationContext) -> BatchDetector:
        """The detector fitted on the window's reference, once per reference: a training
        profile saved again, or the next trailing period, is a new reference."""
        settings = _settings(monitor)
        store = ctx.store
        if span is None:
            version = store.references.version(monitor.model, monitor.reference.name)
            if version is None:
                raise NotFoundError(f"model {monitor.model!r} has no stored reference "
                                    f"{monitor.reference.name!r}; save one with "
                                    "driftline.ingest.references.save_reference (the training "
                                    "hook)", what="reference", name=monitor.reference.name)
            key: Any = ("stored", version, tuple(features))
        else:
            key = (span.start, span.end, tuple(features))
        state = ctx.state(monitor)
        fitted = state.get("detector")
        if fitted is not None and fitted[0] == key:
            detector: BatchDetector = fitted[1]
            return detector
        if span is None:
            stored = store.references.load(monitor.model, monitor.reference.name)
            missing = [f for f in features if f not in stored]
            if missing:
                raise NotFoundError(f"monitor {monitor.id!r}: the stored reference "
                                    f"{monitor.reference.name!r} lacks {missing}",
                                    what="reference", name=monitor.reference.name)
            frame: Mapping[str, Any] = {f: stored[f] for f in features}
        else:
            if ctx.count(monitor.model, span) == 0:
                raise DataStateError(f"the reference period [{span.start:.0f}, {span.end:.0f})"
                                     " has no events")
            probe = get_detector(settings.test, **settings.settings)
            limit = min(settings.max_rows, probe.sample_cap or settings.max_rows)
            frame = ctx.sample(monitor.model, list(features), span, limit=limit,
                               seed=settings.sample_seed)
        detector = get_detector(settings.test, **settings.settings).fit(frame)
        state["detector"] = (key, detector)
        return detector


def _settings(monitor: Monitor) -> DriftSettings:
    assert isinstance(monitor.settings, DriftSettings)
    return monitor.settings


def _reference_kind(reference: Span | None) -> str:
    return "stored" if reference is None else "window"


def _score_counts(monitor: Monitor, scorer: CountScorer, window: Span,
                  ctx: EvaluationContext) -> DriftResult:
    """ClickHouse counts the window's rows per reference bin (numeric features in one query)
    and per category (categorical features in another): no raw row leaves the database."""
    events = ctx.store.events
    counts: dict[str, Any] = {}
    edges = scorer.bin_edges if isinstance(scorer, BinnedCountScorer) else {}
    if edges:
        counts.update(events.bin_counts(monitor.model, edges, window.start, window.end))
    categories = scorer.categories
    seen_all = events.category_counts(monitor.model, list(categories), window.start, window.end)
    for feature, known in categories.items():
        index = {c: i for i, c in enumerate(known)}
        binned = np.zeros(len(known) + 1, dtype=np.float64)
        for value, n in seen_all[feature].items():
            if value is None:  # missing: a category only for a test that counts it
                if not scorer.counts_missing:
                    continue
                value = MISSING
            binned[index.get(value, len(known))] += n
        counts[feature] = binned
    return scorer.score_counts(counts)


def _records(monitor: Monitor, window: Span, reference: Span | None, result: DriftResult,
             profile: Mapping[str, Mapping[str, float]]) -> list[ResultRecord]:
    def common(p_value: float | None, n_reference: int, n_window: int) -> dict[str, Any]:
        return {"p_value": math.nan if p_value is None else float(p_value),
                "n_reference": n_reference, "n_window": n_window}

    rows = [record(monitor, "drift", window, reference, "*", result.test, result.statistic,
                   _STATUS[result.status], threshold=result.threshold,
                   effect_size=result.effect_size,
                   details={"drifted_features": list(result.drifted_features),
                            "reference": _reference_kind(reference)},
                   **common(result.p_value, result.n_reference, result.n_window))]
    for f in result.features:
        details = {k: v for k, v in profile.get(f.feature, {}).items() if math.isfinite(v)}
        rows.append(record(monitor, "drift", window, reference, f.feature, f.test, f.statistic,
                           _STATUS[f.status], threshold=f.threshold,
                           effect_size=f.effect_size, details=details,
                           **common(f.p_value, f.n_reference, f.n_window)))
    return rows

"""Drift: a detector of ``driftline.detector`` compares each window with the reference.

Per window: the window's event count (no events -> one ``no_data`` record), the detector
fitted once per reference (a reference that cannot be fitted -> ``reference_unavailable``),
then the score — from counts made in ClickHouse when the detector scores from counts (no raw
row leaves the store), else from the window's columns (a deterministic sample past
``max_rows``, or the detector's own sample cap for the multivariate tests). One record per
feature plus a ``"*"`` record with the overall verdict.

Every random choice is seeded from the monitor: ``monitor_seed(monitor.id, sample_seed)`` (a
stable hash, the same in every process) seeds the window and reference samples and, unless the
detector's settings name a ``seed``, the detector's own (permutations, subsamples), so the same
window always gets the same verdict and two monitors never share a random stream by accident.
A record's details carry what a reader needs to see a borderline verdict as borderline: the
detector's details (e.g. ``threshold_source``, ``p_value_mc_error``, ``n_permutations``), the
headline ``feature``, the monitor's ``seed`` (of its samples) and the ``detector_seed``.
"""

from __future__ import annotations

import enum
import hashlib
import inspect
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
from driftline.detector.chi2 import MISSING, Chi2Detector
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

__all__ = ["DriftKind", "DriftSettings", "monitor_seed"]

_STATUS = {Status.DRIFT: ResultStatus.ALERT, Status.NO_DRIFT: ResultStatus.OK,
           Status.INSUFFICIENT_DATA: ResultStatus.INSUFFICIENT_DATA}


class DriftSettings(BaseModel):
    """``test``: a detector name (default ``"ks"``); ``settings``: the detector's own settings
    (default none: the detector's defaults); ``max_rows``: the rows read per window and
    reference (>= 1, default 200,000; a deterministic sample beyond); ``sample_seed`` (any
    integer, default 0): with the monitor id, the seed of every random choice of the monitor
    (see ``monitor_seed``): change it to draw another sample and other permutations."""

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
                                               limit=limit, seed=_seed(monitor)))
        seeds: dict[str, Any] = {"seed": _seed(monitor)}
        detector_seed = _detector_settings(monitor).get("seed")
        if detector_seed is not None:
            seeds["detector_seed"] = detector_seed
        records = _records(monitor, window, reference, result, ctx.profile(monitor.model, window),
                           seeds)
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
            probe = get_detector(settings.test, **_detector_settings(monitor))
            limit = min(settings.max_rows, probe.sample_cap or settings.max_rows)
            frame = ctx.sample(monitor.model, list(features), span, limit=limit,
                               seed=_seed(monitor))
        detector = get_detector(settings.test, **_detector_settings(monitor)).fit(frame)
        state["detector"] = (key, detector)
        return detector


def monitor_seed(monitor_id: str, sample_seed: int = 0) -> int:
    """The seed of a drift monitor's random choices, in [0, 2**32): the first 4 bytes of the
    BLAKE2b digest of the monitor id and ``sample_seed`` (any integer, default 0). Stable
    across processes and versions (unlike ``hash()``, which Python salts per process) and
    different for different monitors, so no two monitors share a random stream by accident."""
    digest = hashlib.blake2b(f"driftline.drift\0{monitor_id}\0{int(sample_seed)}".encode(),
                             digest_size=4).digest()
    return int.from_bytes(digest, "big")


def _settings(monitor: Monitor) -> DriftSettings:
    assert isinstance(monitor.settings, DriftSettings)
    return monitor.settings


def _seed(monitor: Monitor) -> int:
    return monitor_seed(monitor.id, _settings(monitor).sample_seed)


def _detector_settings(monitor: Monitor) -> dict[str, Any]:
    """The detector's settings, with the monitor's seed when the detector takes a ``seed``
    and the monitor's settings do not set one."""
    settings = _settings(monitor)
    out = dict(settings.settings)
    if "seed" not in out and _takes_seed(type(get_detector(settings.test, **out))):
        out["seed"] = _seed(monitor)
    return out


def _takes_seed(detector: type[BatchDetector]) -> bool:
    seed = inspect.signature(detector).parameters.get("seed")
    return seed is not None and seed.kind in (inspect.Parameter.KEYWORD_ONLY,
                                              inspect.Parameter.POSITIONAL_OR_KEYWORD)


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
    unseen: dict[str, list[float]] = {}
    for feature, known in categories.items():
        index = {c: i for i, c in enumerate(known)}
        binned = np.zeros(len(known) + 1, dtype=np.float64)
        unseen[feature] = []
        for value, n in seen_all[feature].items():
            if value is None:  # missing: a category only for a test that counts it
                if not scorer.counts_missing:
                    continue
                value = MISSING
            binned[index.get(value, len(known))] += n
            if value not in index:
                unseen[feature].append(float(n))
        counts[feature] = binned
    if isinstance(scorer, Chi2Detector):  # each unseen category its own column: valid test
        return scorer.score_counts(counts, unseen)
    return scorer.score_counts(counts)


def _records(monitor: Monitor, window: Span, reference: Span | None, result: DriftResult,
             profile: Mapping[str, Mapping[str, float]], seeds: Mapping[str, Any],
             ) -> list[ResultRecord]:
    def common(p_value: float | None, n_reference: int, n_window: int) -> dict[str, Any]:
        return {"p_value": math.nan if p_value is None else float(p_value),
                "n_reference": n_reference, "n_window": n_window}

    overall: dict[str, Any] = {"drifted_features": list(result.drifted_features),
                               "reference": _reference_kind(reference), **seeds}
    if result.feature is not None:
        overall["feature"] = result.feature
    rows = [record(monitor, "drift", window, reference, "*", result.test, result.statistic,
                   _STATUS[result.status], threshold=result.threshold,
                   effect_size=result.effect_size, details=_merged(overall, result.details),
                   **common(result.p_value, result.n_reference, result.n_window))]
    for f in result.features:
        details = {k: v for k, v in profile.get(f.feature, {}).items() if math.isfinite(v)}
        rows.append(record(monitor, "drift", window, reference, f.feature, f.test, f.statistic,
                           _STATUS[f.status], threshold=f.threshold,
                           effect_size=f.effect_size, details=_merged(details, f.details),
                           **common(f.p_value, f.n_reference, f.n_window)))
    return rows


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` plus a detector's details, as plain JSON values; a detector's key that is
    taken already (e.g. a window statistic of the same name) is kept as ``test_<key>``."""
    out = {str(k): _json_value(v) for k, v in base.items()}
    for key, value in extra.items():
        name = str(key)
        out[name if name not in out else f"test_{name}"] = _json_value(value)
    return out


def _json_value(value: Any) -> Any:
    """``value`` as plain JSON: numpy scalars and arrays as numbers and lists, tuples and sets
    as lists, enums by value, NaN and infinities as None, anything else by its ``str``."""
    if value is None or isinstance(value, bool | np.bool_):
        return None if value is None else bool(value)
    if isinstance(value, enum.Enum):
        return _json_value(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, set | frozenset):
        return sorted((_json_value(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)

"""Evaluate monitors over windows and store every result.

For each window the engine makes one profile query (counts, nulls, moments, quantiles of every
numeric feature, computed in ClickHouse), reads the monitored columns of the window (a
deterministic sample past ``Monitor.max_rows``), scores them with the monitor's detector and
writes one result row per feature plus one ``"*"`` row with the overall verdict. A detector is
fitted once per reference: a fixed or training reference is fitted once for a whole backfill.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np

from driftline.detector import BatchDetector, DriftResult, Status, get_detector
from driftline.detector.chi2 import MISSING
from driftline.engine.monitor import Monitor, kinds_for_test
from driftline.engine.windows import Span
from driftline.errors import ConfigurationError, ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.references import load_reference, reference_version
from driftline.ingest.store import ResultRow, Store

__all__ = ["Engine", "WindowOutcome"]

log = logging.getLogger(__name__)

WindowOutcome = tuple[Span, DriftResult]
Progress = Callable[[int, int], None]
#: window profiles kept for the other monitors of the same model (oldest dropped first)
PROFILE_CACHE_SIZE = 256


class Engine:
    """Runs monitors against one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._fitted: dict[tuple[Any, ...], BatchDetector] = {}
        self._profiles: dict[tuple[str, float, float], dict[str, dict[str, float]]] = {}

    def features_of(self, monitor: Monitor) -> dict[str, FeatureKind]:
        schema = self.store.current_schema(monitor.model)
        if schema is None:
            raise ConfigurationError(f"monitor {monitor.id!r}: model {monitor.model!r} has no "
                                     "events yet")
        known = self.store.known_kinds(monitor.model)
        if monitor.features:
            missing = [f for f in monitor.features if f not in known]
            if missing:
                raise ConfigurationError(f"monitor {monitor.id!r}: model {monitor.model!r} has "
                                         f"no features {missing}")
            return {f: known[f] for f in monitor.features}
        allowed = kinds_for_test(monitor.test)
        return {f: k for f, k in schema.features.items() if k in allowed}

    def backfill(self, monitor: Monitor, start: float, end: float, *,
                 progress: Progress | None = None) -> list[WindowOutcome]:
        """Evaluate every complete window ending in ``(start, end]`` and store the results."""
        spans = list(monitor.window.spans(start, end))
        outcomes = []
        for i, span in enumerate(spans):
            outcomes.append((span, self.evaluate(monitor, span)))
            if progress is not None:
                progress(i + 1, len(spans))
        return outcomes

    def evaluate(self, monitor: Monitor, window: Span) -> DriftResult:
        features = self.features_of(monitor)
        if not features:
            raise ConfigurationError(f"monitor {monitor.id!r}: the model has no feature the "
                                     f"{monitor.test!r} test can take")
        reference_span = monitor.reference.span_for(window)
        note = ""
        try:
            detector = self._detector(monitor, features, reference_span)
        except ValidationError as exc:
            # e.g. an empty trailing reference before the first week of data: this window
            # cannot be tested, and saying so (stored) lets the scheduler move on
            note = f"reference: {exc}"
            n = self.store.count_events(monitor.model, window.start, window.end)
            result = DriftResult(monitor.test, math.nan, None, math.nan, math.nan,
                                 Status.INSUFFICIENT_DATA, 0, n)
        else:
            if getattr(detector, "supports_counts", False):
                result = self._score_pushed_down(monitor, detector, window)
            else:
                result = detector.score(self._read(monitor, list(features), window))
        profile = self.profile(monitor.model, window)
        self.store.insert_results(
            self._rows(monitor, window, reference_span, result, profile, note))
        return result

    def profile(self, model: str, window: Span) -> dict[str, dict[str, float]]:
        """Counts, nulls, moments and quartiles of every numeric feature of ``model`` in the
        window: one query per window and model, shared by every monitor of the model."""
        key = (model, window.start, window.end)
        cached = self._profiles.get(key)
        if cached is None:
            numeric = [f for f, k in self.store.known_kinds(model).items()
                       if k is FeatureKind.NUMERIC]
            cached = (self.store.numeric_profile(model, numeric, window.start, window.end)
                      if numeric else {})
            if len(self._profiles) >= PROFILE_CACHE_SIZE:
                self._profiles.pop(next(iter(self._profiles)))
            self._profiles[key] = cached
        return cached

    def _detector(self, monitor: Monitor, features: Mapping[str, FeatureKind],
                  span: Span | None) -> BatchDetector:
        """The monitor's detector fitted on its reference; fitted once per reference (a
        training profile saved again, or the next trailing period, is a new reference)."""
        if span is None:
            reference_key: Any = ("stored", reference_version(
                self.store, monitor.model, monitor.reference.name))
        else:
            reference_key = (span.start, span.end)
        key = (monitor.id, repr(monitor), tuple(features), reference_key)
        detector = self._fitted.get(key)
        if detector is None:
            if span is None:
                stored = load_reference(self.store, monitor.model, monitor.reference.name)
                missing = [f for f in features if f not in stored]
                if missing:
                    raise ConfigurationError(f"monitor {monitor.id!r}: the stored reference "
                                             f"{monitor.reference.name!r} lacks {missing}")
                reference = {f: stored[f] for f in features}
            else:
                reference = self._read(monitor, list(features), span)
            detector = get_detector(monitor.test, **dict(monitor.settings)).fit(reference)
            # one fitted detector per monitor: the new reference replaces the old one
            self._fitted = {k: v for k, v in self._fitted.items() if k[0] != monitor.id}
            self._fitted[key] = detector
        return detector

    def _score_pushed_down(self, monitor: Monitor, detector: Any, window: Span
                           ) -> DriftResult:
        """Distances need bin counts only: ClickHouse counts the window's rows per reference
        bin (numeric features in one query), and no raw row leaves the database."""
        edges: dict[str, Any] = detector.bin_edges
        counts: dict[str, Any] = {}
        if edges:
            counts.update(self.store.bin_counts(monitor.model, edges, window.start, window.end))
        categories: dict[str, tuple[str, ...]] = detector.categories
        all_seen = self.store.category_counts(monitor.model, list(categories), window.start,
                                              window.end)
        for feature, known in categories.items():
            seen = all_seen[feature]
            index = {c: i for i, c in enumerate(known)}
            binned = np.zeros(len(known) + 1, dtype=np.float64)
            for value, n in seen.items():
                if value is None:  # missing: a category only for a test that counts it
                    if not getattr(detector, "count_missing", False):
                        continue
                    value = MISSING
                binned[index.get(value, len(known))] += n
            counts[feature] = binned
        return cast(DriftResult, detector.score_counts(counts))

    def _read(self, monitor: Monitor, names: list[str], span: Span) -> dict[str, Any]:
        limit = monitor.row_limit()
        n = self.store.count_events(monitor.model, span.start, span.end)
        seed = monitor.sample_seed if n > limit else None
        cols = self.store.read_events(monitor.model, names, span.start, span.end,
                                      limit=limit if n > limit else None, sample_seed=seed,
                                      total=n)
        return {name: cols[name] for name in names}

    def _rows(self, monitor: Monitor, window: Span, reference: Span | None,
              result: DriftResult, profile: Mapping[str, Mapping[str, float]], note: str = ""
              ) -> list[ResultRow]:
        ref_start, ref_end = (reference.start, reference.end) if reference else (0.0, 0.0)
        common: dict[str, Any] = {"monitor_id": monitor.id, "model": monitor.model,
                  "window_start": window.start, "window_end": window.end,
                  "reference_start": ref_start, "reference_end": ref_end, "test": result.test}
        run_ns = time.time_ns()
        rows = [ResultRow(feature="*", statistic=result.statistic,
                          p_value=_nan(result.p_value), threshold=result.threshold,
                          effect_size=result.effect_size, drifted=result.drifted,
                          status=str(result.status), n_reference=result.n_reference,
                          n_window=result.n_window,
                          details={"drifted_features": list(result.drifted_features),
                                   "reference": "stored" if reference is None else "window",
                                   **({"note": note} if note else {})},
                          run_ns=run_ns, **common)]
        for f in result.features:
            details = {k: v for k, v in profile.get(f.feature, {}).items() if math.isfinite(v)}
            rows.append(ResultRow(feature=f.feature, statistic=f.statistic,
                                  p_value=_nan(f.p_value), threshold=f.threshold,
                                  effect_size=f.effect_size, drifted=f.drifted,
                                  status=str(f.status), n_reference=f.n_reference,
                                  n_window=f.n_window, details=details, run_ns=run_ns,
                                  **common))
        return rows


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


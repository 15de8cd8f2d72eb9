"""Rules suggested from a reference (the training data): a sensible start to review and save.

Per numeric feature: a ``range`` from robust quantiles with a margin, ``[q_lo - m w, q_hi + m
w]`` with ``q_lo, q_hi`` the 0.5% and 99.5% quantiles, ``w = q_hi - q_lo`` and ``m = margin``
(default 0.25), tolerating ``tolerance`` (default 1%) of the values outside, so a window like
the reference passes (the tails beyond the quantiles hold 1%, the margin takes most of it).
Per categorical feature with at most ``max_categories`` levels (default 50): ``in_set`` of the
observed levels (tolerance as above) and ``length`` between the shortest and longest. For
every feature: ``type(f) is <kind>``, and a ``null_rate`` ceiling of ``2 p + 0.01`` for an
observed null rate ``p`` (at most 1). Every rule comes back as a ``Rule``; ``Rule.text`` is
the line for the monitors file.
"""

from __future__ import annotations

import json
import math

import numpy as np

from driftline.detector._frames import FrameLike, as_columns, feature_kind, numeric_values
from driftline.detector.chi2 import category_labels
from driftline.errors import ConfigurationError, ValidationError
from driftline.feature_kinds import FeatureKind
from driftline.validation.rules import InSet, Kind, Length, NullRate, Range, Rule

__all__ = ["rules_toml", "suggest_rules"]

_LOW, _HIGH = 0.005, 0.995


def _nice(value: float, up: bool) -> float:
    """``value`` rounded outwards (``up``: towards +inf) to 4 significant digits: a rule
    people read, never narrower than computed."""
    if value == 0 or not math.isfinite(value):
        return value
    step = 10.0 ** (math.floor(math.log10(abs(value))) - 3)
    return float(f"{(math.ceil if up else math.floor)(value / step) * step:.4g}")


def suggest_rules(reference: FrameLike, *, margin: float = 0.25, tolerance: float = 0.01,
                  max_categories: int = 50) -> list[Rule]:
    """Rules for every feature of ``reference`` (see the module docstring)."""
    if not margin >= 0 or not 0 <= tolerance <= 1 or max_categories < 1:
        raise ConfigurationError("margin must be >= 0, tolerance in [0, 1] and "
                                 "max_categories >= 1")
    columns = as_columns(reference, what="reference", same_length=False)
    if not columns:
        raise ValidationError("reference has no features", field="reference")
    rules: list[Rule] = []
    for feature, raw in columns.items():
        values = np.asarray(raw)
        kind = feature_kind(values)
        if kind is FeatureKind.NUMERIC:
            present: np.ndarray = numeric_values(feature, values, "suggest_rules")
        else:  # missing values (None, NaN, pd.NA) dropped as every test drops them
            present = category_labels(values)
        if kind is not None:
            rules.append(Kind(feature=feature, kind=kind.value))
        rate = 1.0 - present.size / values.size if values.size else 0.0
        rules.append(NullRate(feature=feature, max=min(1.0, _nice(2 * rate + 0.01, up=True))))
        if not present.size:
            continue
        if kind is FeatureKind.NUMERIC:
            lo, hi = np.quantile(present, [_LOW, _HIGH])
            width = float(hi - lo) or abs(float(hi)) or 1.0
            rules.append(Range(feature=feature, min=_nice(float(lo) - margin * width, up=False),
                               max=_nice(float(hi) + margin * width, up=True),
                               tolerance=tolerance))
        elif kind is FeatureKind.CATEGORICAL:
            labels = np.unique(present)
            if labels.size <= max_categories:
                rules.append(InSet(feature=feature, values=tuple(labels.tolist()),
                                   tolerance=tolerance))
            lengths = np.char.str_len(labels)
            rules.append(Length(feature=feature, min=float(lengths.min()),
                                max=float(lengths.max()), tolerance=tolerance))
    return rules


def rules_toml(monitor_id: str, model: str, rules: list[Rule], window: str = "1d") -> str:
    """A ``[[monitor]]`` block of the monitors file with ``rules``, to review and save."""
    lines = ["[[monitor]]", f"id = {json.dumps(monitor_id)}", f"model = {json.dumps(model)}",
             'kind = "validation"', f"window = {json.dumps(window)}", "rules = ["]
    lines += [f"  {json.dumps(rule.text)}," for rule in rules]
    return "\n".join([*lines, "]", ""])

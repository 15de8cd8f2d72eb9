"""Rules compiled into one ClickHouse aggregate per window: every rule of a model in one scan.

Per row-level rule ``i``: ``v_i`` violations, ``n_i`` values checked (non-missing) and ``e_i``
the first ``examples`` offending event ids (``groupArrayIf``); per window-level rule the
statistic ``s_i`` (and ``n_i``). ``read`` turns the one result row into ``Outcome``s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from driftline.storage import feature_column
from driftline.storage._backend import Columns
from driftline.storage.dialect import quote
from driftline.validation.rules import (
    Compare,
    InSet,
    Kind,
    Length,
    NullRate,
    Range,
    Regex,
    Rule,
    Statistic,
)

__all__ = ["Outcome", "compile_rules", "read_outcomes"]

_AGGREGATE = {"min": "min", "max": "max", "mean": "avg", "std": "stddevPop"}
_SQL_OP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "!="}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rule found in a window: ``value`` is the violation rate (row level), the null
    rate or the statistic; ``checked`` the values it looked at (non-missing, or every event
    for a null rate); ``failed`` whether it is violated (None: nothing to check)."""

    rule: Rule
    value: float
    checked: int
    failed: bool | None
    violations: int = 0
    examples: tuple[str, ...] = field(default_factory=tuple)


def _within(expr: str, low: float | None, high: float | None) -> str:
    parts = []
    if low is not None:
        parts.append(f"{expr} >= {float(low)!r}")
    if high is not None:
        parts.append(f"{expr} <= {float(high)!r}")
    return " AND ".join(parts)


def _violation(rule: Rule) -> tuple[str, str]:
    """(condition that a row is checked, condition that it violates) of a row-level rule."""
    if isinstance(rule, Compare):
        a, b = feature_column(rule.left), feature_column(rule.right)
        checked = f"isNotNull({a}) AND isNotNull({b})"
        return checked, f"NOT ({a} {_SQL_OP[rule.op]} {b})"
    c = feature_column(rule.features[0])
    checked = f"isNotNull({c})"
    if isinstance(rule, Range):
        return checked, f"NOT ({_within(c, rule.min, rule.max)})"
    if isinstance(rule, Length):
        return checked, f"NOT ({_within(f'lengthUTF8({c})', rule.min, rule.max)})"
    if isinstance(rule, InSet):
        return checked, f"{c} NOT IN ({', '.join(quote(v) for v in rule.values)})"
    if isinstance(rule, Regex):
        return checked, f"NOT match({c}, {quote(rule.pattern)})"
    raise TypeError(f"not a row-level rule: {rule!r}")


def compile_rules(rules: Sequence[Rule], examples: int) -> list[str]:
    """The SELECT expressions of every rule that needs SQL (``type`` rules need none)."""
    exprs = ["count() AS n_rows"]
    for i, rule in enumerate(rules):
        if isinstance(rule, Kind):
            continue
        if rule.row_level:
            checked, violates = _violation(rule)
            bad = f"ifNull({checked} AND {violates}, 0)"
            exprs += [f"countIf(ifNull({checked}, 0)) AS n_{i}", f"countIf({bad}) AS v_{i}"]
            if examples:
                exprs.append(f"groupArrayIf({int(examples)})(event_id, {bad}) AS e_{i}")
            continue
        c = feature_column(rule.features[0])
        if isinstance(rule, NullRate):
            exprs.append(f"countIf(isNull({c})) AS v_{i}")
        elif isinstance(rule, Statistic):
            exprs.append(f"count({c}) AS n_{i}")
            if rule.stat in ("median", "quantile"):
                level = 0.5 if rule.q is None else rule.q
                exprs.append(f"quantileTDigest({float(level)!r})({c}) AS s_{i}")
            else:
                exprs.append(f"{_AGGREGATE[rule.stat]}({c}) AS s_{i}")
    return exprs


def read_outcomes(rules: Sequence[Rule], row: Columns,
                  kinds: Mapping[str, str]) -> list[Outcome]:
    """The outcome of each rule from the one result row (``kinds``: the schema's, for
    ``type`` rules)."""
    n_rows = int(row["n_rows"][0])
    out = []
    for i, rule in enumerate(rules):
        if isinstance(rule, Kind):
            actual = kinds.get(rule.feature)
            out.append(Outcome(rule, math.nan, n_rows, actual != rule.kind))
        elif rule.row_level:
            checked, violations = int(row[f"n_{i}"][0]), int(row[f"v_{i}"][0])
            found = tuple(str(e) for e in row[f"e_{i}"][0]) if f"e_{i}" in row else ()
            rate = violations / checked if checked else math.nan
            failed = None if not checked else rate > getattr(rule, "tolerance", 0.0)
            out.append(Outcome(rule, rate, checked, failed, violations, found))
        elif isinstance(rule, NullRate):
            nulls = int(row[f"v_{i}"][0])
            rate = nulls / n_rows if n_rows else math.nan
            out.append(Outcome(rule, rate, n_rows, None if not n_rows else rate > rule.max,
                               nulls))
        elif isinstance(rule, Statistic):
            checked = int(row[f"n_{i}"][0])
            value = float(row[f"s_{i}"][0]) if checked else math.nan
            inside = ((rule.min is None or value >= rule.min)
                      and (rule.max is None or value <= rule.max))
            out.append(Outcome(rule, value, checked, None if not checked else not inside))
    return out

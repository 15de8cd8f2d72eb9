"""Validation: a model's feature-validation rules checked on every window, in one query.

Settings: ``rules`` (lines or tables, ``driftline.validation.rules``) and ``examples`` (the
offending event ids kept per rule, default 5). Per window: no events -> one ``no_data``
record; else one ClickHouse aggregate computes every rule (violation counts and rates, null
rates, statistics, the first offending event ids), and a ``type`` rule reads the current
schema. One record per rule (subject: the feature; metric: the check; label ``rule``: its
line; ``value``: the violation rate, null rate or statistic; ``alert`` when violated,
``insufficient_data`` when the window had no value to check) plus a ``"*"`` record whose value
is the number of violated rules. A rule on a feature the model does not have (or of the wrong
kind) gets an ``error`` record that says so; the other rules still run.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    no_data,
    record,
    register_kind,
)
from driftline.engine.windows import Span
from driftline.storage import ResultRecord, ResultStatus
from driftline.validation import (
    Compare,
    Kind,
    Outcome,
    Range,
    Rule,
    Statistic,
    compile_rules,
    parse_rules,
    read_outcomes,
)

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["ValidationKind", "ValidationSettings"]

#: the rules on numeric features (the other value rules take categorical ones)
_NUMERIC = (Range, Statistic, Compare)


class ValidationSettings(BaseModel):
    """``rules``: at least one rule (a line or a table each); ``examples``: offending event
    ids kept per rule and window (0 to 100, default 5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[Rule, ...] = Field(min_length=1)
    examples: int = Field(5, ge=0, le=100)

    @field_validator("rules", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> tuple[Rule, ...]:
        if isinstance(value, list | tuple) and all(not isinstance(v, str | dict) for v in value):
            return tuple(value)  # already rules
        return parse_rules(value, "rules")


def _kind_problem(rule: Rule, kinds: dict[str, str]) -> str | None:
    """Why a rule cannot run on this model (a missing feature, the wrong kind), or None."""
    if isinstance(rule, Kind):
        return None  # a missing or changed feature is what it checks
    for feature in rule.features:
        kind = kinds.get(feature)
        if kind is None:
            return f"the model has no feature {feature!r}"
        if rule.check == "null_rate":
            continue
        wanted = "numeric" if isinstance(rule, _NUMERIC) else "categorical"
        if kind != wanted:
            return f"{rule.check} needs a {wanted} feature; {feature!r} is {kind}"
    return None


@register_kind("validation")
class ValidationKind(MonitorKind):
    settings_model = ValidationSettings

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        settings = monitor.settings
        assert isinstance(settings, ValidationSettings)
        n_window = ctx.count(monitor.model, window)
        if n_window == 0:
            return no_data(monitor, self.name, window, "rules_failed")
        kinds = {f: str(k) for f, k in ctx.store.events.known_kinds(monitor.model).items()}
        problems = {i: p for i, rule in enumerate(settings.rules)
                    if (p := _kind_problem(rule, kinds)) is not None}
        runnable = [r for i, r in enumerate(settings.rules) if i not in problems]
        row = ctx.store.events.aggregate(monitor.model,
                                         compile_rules(runnable, settings.examples),
                                         window.start, window.end)
        found = read_outcomes(runnable, row, kinds)
        outcomes = iter(found)
        records: list[ResultRecord] = []
        failed: list[str] = []
        for i, rule in enumerate(settings.rules):
            if i in problems:
                records.append(self._record(monitor, window, rule, ResultStatus.ERROR,
                                            math.nan, 0, {"note": problems[i]}))
                failed.append(rule.text)
                continue
            outcome = next(outcomes)
            records.append(self._outcome_record(monitor, window, outcome))
            if outcome.failed:
                failed.append(rule.text)
        status = ResultStatus.ALERT if failed else ResultStatus.OK
        overall = record(monitor, self.name, window, None, "*", "rules_failed",
                         float(len(failed)), status, n_window=n_window,
                         details={"failed_rules": failed, "rules": len(settings.rules)})
        return Evaluation(monitor.id, window, status, (overall, *records), found)

    def _outcome_record(self, monitor: Monitor, window: Span,
                        outcome: Outcome) -> ResultRecord:
        rule = outcome.rule
        status = (ResultStatus.INSUFFICIENT_DATA if outcome.failed is None
                  else ResultStatus.ALERT if outcome.failed else ResultStatus.OK)
        details: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        if rule.row_level:
            details.update(violations=outcome.violations, examples=list(outcome.examples))
            fields["threshold"] = float(getattr(rule, "tolerance", 0.0))
        elif rule.check == "null_rate":
            details["nulls"] = outcome.violations
            fields["threshold"] = float(getattr(rule, "max", math.nan))
        for bound, name in (("min", "lower"), ("max", "upper")):
            value = getattr(rule, bound, None)
            if isinstance(value, float) and rule.check != "null_rate":
                fields[name] = value
        return self._record(monitor, window, rule, status, outcome.value, outcome.checked,
                            details, **fields)

    def _record(self, monitor: Monitor, window: Span, rule: Rule, status: ResultStatus,
                value: float, checked: int, details: dict[str, Any],
                **fields: Any) -> ResultRecord:
        metric = rule.stat if isinstance(rule, Statistic) else rule.check
        return record(monitor, self.name, window, None, rule.subject, metric, value, status,
                      n_window=checked, labels={"rule": rule.text},
                      details={"rule": rule.text, **details}, **fields)

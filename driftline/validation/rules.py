"""Feature-validation rules: pydantic models, and a readable one-line syntax for each.

A rule is either a table (``{check = "range", feature = "dep_delay", min = -60}``) or a line::

    dep_delay between -60 and 1440         # range (row level): every value in [min, max]
    dep_delay >= -60                       # range, one side
    null_rate(dep_time) <= 0.05            # null rate (window level)
    median(dep_delay) between 0 and 30     # statistic: min, max, mean, median, std,
    quantile(air_time, 0.99) <= 600        #   quantile(f, q); one or both bounds
    carrier in ["AA", "UA", "DL"]          # allowed set (row level)
    tailnum matches "^N[0-9A-Z]+$"         # regular expression, RE2 syntax (row level)
    length(tailnum) between 4 and 6        # string length in characters (row level)
    type(carrier) is categorical           # the feature's kind in the schema
    arr_time >= dep_time                   # between features: <, <=, >, >=, ==, != (row level)

A row-level line may end with ``tolerance 0.1%`` (or ``tolerance 0.001``): the share of the
window's non-missing values allowed to violate it (default 0: any violation alerts). Missing
values never violate a row-level rule; ``null_rate`` is the rule for them.

``parse_rule`` turns either form into a ``Rule``; ``Rule.text`` is its canonical line (what
result records and ``suggest_rules`` show), and parsing the text gives the same rule back.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from pydantic import ValidationError as PydanticError

from driftline.errors import ConfigurationError
from driftline.ingest.validation import FEATURE_NAME, FEATURE_NAME_RULE

__all__ = ["Compare", "InSet", "Kind", "Length", "NullRate", "Range", "Regex", "Rule",
           "Statistic", "parse_rule", "parse_rules"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_Operator = Literal["<", "<=", ">", ">=", "==", "!="]


def _feature(name: str) -> str:
    if not FEATURE_NAME.fullmatch(name):
        raise ValueError(f"feature name {name!r} must be {FEATURE_NAME_RULE}")
    return name


def _number(value: float) -> str:
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(value)


def _bounds(subject: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{subject} between {_number(low)} and {_number(high)}"
    if low is not None:
        return f"{subject} >= {_number(low)}"
    return f"{subject} <= {_number(high if high is not None else math.inf)}"


class _Base(BaseModel):
    model_config = _FROZEN

    @property
    def features(self) -> tuple[str, ...]:
        """The features the rule reads."""
        raise NotImplementedError

    @property
    def subject(self) -> str:
        """The result record's subject: the feature (``a<=b`` for a rule between two)."""
        raise NotImplementedError

    @property
    def row_level(self) -> bool:
        """Whether the rule is checked per value (violations counted, offenders kept)."""
        return False

    @property
    def text(self) -> str:
        raise NotImplementedError


class _Single(_Base):
    """A rule on one feature."""

    feature: Annotated[str, Field(min_length=1)]

    @property
    def features(self) -> tuple[str, ...]:
        return (self.feature,)

    @property
    def subject(self) -> str:
        return self.feature


class _RowLevel(_Base):
    tolerance: float = Field(0.0, ge=0.0, le=1.0)

    @property
    def row_level(self) -> bool:
        return True

    def _with_tolerance(self, line: str) -> str:
        return f"{line} tolerance {_number(self.tolerance)}" if self.tolerance else line


class _Bounded(BaseModel):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> _Bounded:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        for bound in (self.min, self.max):
            if bound is not None and math.isnan(bound):
                raise ValueError("a bound must be a number, not NaN")
        return self


class Range(_Single, _RowLevel, _Bounded):
    """Every non-missing value of a numeric feature within ``[min, max]``."""

    check: Literal["range"] = "range"

    @property
    def text(self) -> str:
        return self._with_tolerance(_bounds(self.feature, self.min, self.max))


class Length(_Single, _RowLevel, _Bounded):
    """Every non-missing value of a categorical feature has a length (in characters) within
    ``[min, max]``."""

    check: Literal["length"] = "length"

    @property
    def text(self) -> str:
        return self._with_tolerance(_bounds(f"length({self.feature})", self.min, self.max))


class InSet(_Single, _RowLevel):
    """Every non-missing value of a categorical feature is one of ``values``."""

    check: Literal["in_set"] = "in_set"
    values: tuple[str, ...] = Field(min_length=1)

    @property
    def text(self) -> str:
        return self._with_tolerance(f"{self.feature} in {json.dumps(list(self.values))}")


class Regex(_Single, _RowLevel):
    """Every non-missing value of a categorical feature matches ``pattern`` (RE2 syntax, as
    ClickHouse's ``match``: a search, so anchor it with ``^...$`` for a full match)."""

    check: Literal["regex"] = "regex"
    pattern: str = Field(min_length=1)

    @model_validator(mode="after")
    def _compiles(self) -> Regex:
        if re.search(r"\(\?<?[=!]|\\[1-9]", self.pattern):
            raise ValueError(f"pattern {self.pattern!r} uses lookaround or a backreference, "
                             "which RE2 (ClickHouse's match) does not have")
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern {self.pattern!r} is not a regular expression: {exc}"
                             ) from None
        return self

    @property
    def text(self) -> str:
        return self._with_tolerance(f"{self.feature} matches {json.dumps(self.pattern)}")


class Compare(_RowLevel):
    """``left op right`` on every event where both numeric features have a value."""

    check: Literal["compare"] = "compare"
    left: str
    op: _Operator
    right: str

    @property
    def features(self) -> tuple[str, ...]:
        return (self.left, self.right)

    @property
    def subject(self) -> str:
        return f"{self.left}{self.op}{self.right}"

    @property
    def text(self) -> str:
        return self._with_tolerance(f"{self.left} {self.op} {self.right}")


class NullRate(_Single):
    """The share of the window's events without a value of the feature is at most ``max``."""

    check: Literal["null_rate"] = "null_rate"
    max: float = Field(ge=0.0, le=1.0)

    @property
    def text(self) -> str:
        return f"null_rate({self.feature}) <= {_number(self.max)}"


class Statistic(_Single, _Bounded):
    """A window statistic of a numeric feature within ``[min, max]``: ``min``, ``max``,
    ``mean``, ``std`` (population), ``median`` or ``quantile`` (level ``q``; both t-digest
    estimates, about 1% in rank)."""

    check: Literal["statistic"] = "statistic"
    stat: Literal["min", "max", "mean", "std", "median", "quantile"]
    q: float | None = Field(None, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _level(self) -> Statistic:
        if (self.stat == "quantile") != (self.q is not None):
            raise ValueError("q is required for stat = quantile, and only for it")
        return self

    @property
    def text(self) -> str:
        inner = f"{self.feature}, {_number(self.q)}" if self.q is not None else self.feature
        return _bounds(f"{self.stat}({inner})", self.min, self.max)


class Kind(_Single):
    """The feature's kind in the model's current schema is ``kind``."""

    check: Literal["type"] = "type"
    kind: Literal["numeric", "categorical"]

    @property
    def text(self) -> str:
        return f"type({self.feature}) is {self.kind}"


Rule = Annotated[Range | Length | InSet | Regex | Compare | NullRate | Statistic | Kind,
                 Field(discriminator="check")]
_RULE: TypeAdapter[Rule] = TypeAdapter(Rule)

# -- the one-line syntax ----------------------------------------------------------------------
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOLERANCE = re.compile(rf"^(?P<rule>.*?)\s+tolerance\s+(?P<value>{_NUM})(?P<pct>%?)\s*$")
_FUNC = re.compile(rf"^(?P<func>null_rate|length|min|max|mean|std|median|quantile|type)\("
                   rf"\s*(?P<feature>{_NAME})\s*(?:,\s*(?P<q>{_NUM})\s*)?\)\s*(?P<rest>.*)$")
_SIMPLE = re.compile(rf"^(?P<feature>{_NAME})\s+(?P<rest>.*)$")
_BETWEEN = re.compile(rf"^between\s+(?P<lo>{_NUM})\s+and\s+(?P<hi>{_NUM})$")
_COMPARE = re.compile(rf"^(?P<op><=|>=|==|!=|<|>)\s*(?P<value>{_NUM}|{_NAME})$")


def _bounds_of(rest: str) -> dict[str, float] | None:
    found = _BETWEEN.match(rest)
    if found:
        return {"min": float(found["lo"]), "max": float(found["hi"])}
    found = _COMPARE.match(rest)
    if found and re.fullmatch(_NUM, found["value"]) and found["op"] in ("<=", ">="):
        return {"max" if found["op"] == "<=" else "min": float(found["value"])}
    return None


def _parse_line(line: str) -> dict[str, Any]:
    text = line.strip()
    tolerance: float | None = None
    found = _TOLERANCE.match(text)
    if found:
        tolerance = float(found["value"]) / (100.0 if found["pct"] else 1.0)
        text = found["rule"].strip()
    fields = _parse_body(text)
    if tolerance is not None:
        fields["tolerance"] = tolerance
    return fields


def _parse_body(text: str) -> dict[str, Any]:
    func = _FUNC.match(text)
    if func:
        name, feature, rest = func["func"], func["feature"], func["rest"].strip()
        if name == "type":
            kind = re.fullmatch(r"is\s+(numeric|categorical)", rest)
            if not kind:
                raise ValueError("expected type(feature) is numeric|categorical")
            return {"check": "type", "feature": feature, "kind": kind[1]}
        bounds = _bounds_of(rest)
        if bounds is None:
            raise ValueError(f"expected '<= number', '>= number' or 'between a and b' after "
                             f"{name}(...), got {rest!r}")
        if name == "null_rate":
            if set(bounds) != {"max"}:
                raise ValueError("a null rate takes an upper bound: null_rate(f) <= 0.05")
            return {"check": "null_rate", "feature": feature, **bounds}
        if name == "length":
            return {"check": "length", "feature": feature, **bounds}
        q = {"q": float(func["q"])} if func["q"] is not None else {}
        return {"check": "statistic", "feature": feature, "stat": name, **q, **bounds}
    simple = _SIMPLE.match(text)
    if not simple:
        raise ValueError("expected a rule such as 'x between 0 and 1', 'null_rate(x) <= 0.1', "
                         "'c in [\"a\", \"b\"]', 'c matches \"^a\"' or 'x <= y'")
    feature, rest = simple["feature"], simple["rest"].strip()
    if rest.startswith("in "):
        values = _json_value(rest[3:], "a JSON list of strings after 'in'")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError("expected a JSON list of strings after 'in'")
        return {"check": "in_set", "feature": feature, "values": values}
    if rest.startswith("matches "):
        pattern = _json_value(rest[8:], "a JSON string after 'matches'")
        if not isinstance(pattern, str):
            raise ValueError("expected a JSON string after 'matches'")
        return {"check": "regex", "feature": feature, "pattern": pattern}
    bounds = _bounds_of(rest)
    if bounds is not None:
        return {"check": "range", "feature": feature, **bounds}
    other = _COMPARE.match(rest)
    if other and not re.fullmatch(_NUM, other["value"]):
        return {"check": "compare", "left": feature, "op": other["op"],
                "right": other["value"]}
    raise ValueError(f"cannot read {rest!r} after {feature!r}: expected 'between a and b', "
                     "'<= number', '>= number', 'in [...]', 'matches \"...\"' or '<op> feature'")


def _json_value(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"expected {what}, got {text.strip()!r}") from None


def parse_rule(raw: str | Mapping[str, Any], where: str = "rule") -> Rule:
    """A rule from its line or its table; a ``ConfigurationError`` names ``where`` (e.g.
    ``monitor 'q'.rules[3]``), the rule's text and what is wrong."""
    shown = raw if isinstance(raw, str) else dict(raw)
    try:
        fields = _parse_line(raw) if isinstance(raw, str) else dict(raw)
        rule = _RULE.validate_python(fields)
        for name in rule.features:
            _feature(name)
    except ValueError as exc:
        if isinstance(exc, PydanticError):
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int))
            message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            detail = f"{key}: {message}" if key else message
        else:
            detail = str(exc)
        raise ConfigurationError(f"{where} {shown!r}: {detail}") from None
    return rule


def parse_rules(raw: object, where: str = "rules") -> tuple[Rule, ...]:
    """Rules from a list of lines or tables (each error names its index)."""
    if not isinstance(raw, list | tuple):
        raise ConfigurationError(f"{where}: expected a list of rules")
    return tuple(parse_rule(item, f"{where}[{i}]") if isinstance(item, str | Mapping)
                 else _refuse(f"{where}[{i}]", item) for i, item in enumerate(raw))


def _refuse(where: str, item: object) -> Rule:
    raise ConfigurationError(f"{where}: expected a rule line or table, got {item!r}")

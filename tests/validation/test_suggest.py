"""Rules suggested from a reference: they pass on the reference and on held-out rows of the
same distribution (the stated expected violation rate), fire on broken data, and round-trip
through the monitors file."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from driftline.demo import load_flights
from driftline.engine.config import parse_monitor
from driftline.errors import ConfigurationError, ValidationError
from driftline.validation import (
    InSet,
    Kind,
    Length,
    NullRate,
    Range,
    Rule,
    rules_toml,
    suggest_rules,
)

COLUMNS = ["dep_time", "dep_delay", "air_time", "distance", "carrier", "origin", "tailnum"]


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    return load_flights()[COLUMNS]


def _violated(rule: Rule, frame: pd.DataFrame) -> bool:
    """The rule checked by pandas (the SQL path is checked against pandas in tests/engine/kinds)."""
    values = frame[rule.features[0]]
    present = values.dropna()
    if isinstance(rule, NullRate):
        return bool(values.isna().mean() > rule.max)
    if isinstance(rule, Kind):
        return (rule.kind == "numeric") != pd.api.types.is_numeric_dtype(values)
    if isinstance(rule, Range):
        outside = (present < rule.min) | (present > rule.max)
    elif isinstance(rule, InSet):
        outside = ~present.isin(rule.values)
    elif isinstance(rule, Length):
        lengths = present.str.len()
        outside = (lengths < rule.min) | (lengths > rule.max)
    else:
        raise AssertionError(f"not suggested: {rule!r}")
    return bool(outside.mean() > rule.tolerance)


def test_every_feature_gets_its_kind_null_ceiling_and_value_rules(flights: pd.DataFrame) -> None:
    rules = suggest_rules(flights.iloc[:50_000])
    by_feature: dict[str, set[str]] = {}
    for rule in rules:
        by_feature.setdefault(rule.features[0], set()).add(rule.check)
    assert by_feature["dep_delay"] == {"type", "null_rate", "range"}
    assert by_feature["carrier"] == {"type", "null_rate", "in_set", "length"}
    # 4,000 tail numbers are more than an allowed set is for: only their lengths are checked
    assert by_feature["tailnum"] == {"type", "null_rate", "length"}
    dep_delay = next(r for r in rules if isinstance(r, Range) and r.feature == "dep_delay")
    assert dep_delay.min is not None and dep_delay.max is not None
    assert dep_delay.min < -10 and dep_delay.max > 120 and dep_delay.tolerance == 0.01


def test_suggested_rules_hold_on_held_out_rows_and_fire_on_broken_ones(
        flights: pd.DataFrame) -> None:
    shuffled = flights.sample(frac=1.0, random_state=0)
    reference, held_out = shuffled.iloc[:100_000], shuffled.iloc[100_000:]
    rules = suggest_rules(reference)
    assert not [r.text for r in rules if _violated(r, reference)]
    for start in range(0, len(held_out), 11_800):  # 20 windows of ~11,800 flights
        chunk = held_out.iloc[start:start + 11_800]
        assert not [r.text for r in rules if _violated(r, chunk)]
    broken = held_out.iloc[:5000].copy()
    broken["dep_delay"] = broken["dep_delay"] * 60.0  # minutes logged as seconds
    broken.loc[broken.index[:500], "carrier"] = "ZZ"  # an unknown carrier code, 10%
    broken.loc[broken.index[:1000], "air_time"] = np.nan  # 20% missing
    fired = {r.text.split(" ")[0] for r in rules if _violated(r, broken)}
    assert {"dep_delay", "carrier", "null_rate(air_time)"} <= fired


def test_the_suggestion_is_a_monitors_file_block() -> None:
    rng = np.random.default_rng(0)
    rules = suggest_rules({"x": rng.normal(size=500),
                           "c": np.array(["a", "b", None] * 100, dtype=object)})
    [block] = tomllib.loads(rules_toml("m-quality", "m", rules, "1h"))["monitor"]
    monitor = parse_monitor(block)
    assert monitor.kind == "validation"
    assert list(monitor.settings.rules) == rules  # type: ignore[attr-defined]
    null_c = next(r for r in rules if isinstance(r, NullRate) and r.feature == "c")
    assert null_c.max == pytest.approx(2 / 3 + 0.01, abs=1e-3)  # 2 p + 0.01, rounded up


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="no features"):
        suggest_rules({})
    with pytest.raises(ConfigurationError, match="margin"):
        suggest_rules({"x": [1.0]}, margin=-1)

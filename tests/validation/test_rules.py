"""The rule syntax: every line parses to its rule and back, tables give the same rules, and a
bad rule is refused with its index, its text and what is wrong."""

from __future__ import annotations

import pytest

from driftline.errors import ConfigurationError
from driftline.validation import (
    Compare,
    InSet,
    Kind,
    Length,
    NullRate,
    Range,
    Regex,
    Statistic,
    parse_rule,
    parse_rules,
)

LINES = [
    ("dep_delay between -60 and 1440", Range(feature="dep_delay", min=-60, max=1440)),
    ("dep_delay >= -60", Range(feature="dep_delay", min=-60)),
    ("x <= 2.5", Range(feature="x", max=2.5)),
    ("null_rate(dep_time) <= 0.05", NullRate(feature="dep_time", max=0.05)),
    ("median(dep_delay) between 0 and 30",
     Statistic(feature="dep_delay", stat="median", min=0, max=30)),
    ("quantile(air_time, 0.99) <= 600",
     Statistic(feature="air_time", stat="quantile", q=0.99, max=600)),
    ("mean(x) >= 1e-3", Statistic(feature="x", stat="mean", min=0.001)),
    ('carrier in ["AA", "UA"]', InSet(feature="carrier", values=("AA", "UA"))),
    ('tailnum matches "^N[0-9A-Z]+$"', Regex(feature="tailnum", pattern="^N[0-9A-Z]+$")),
    ("length(tailnum) between 4 and 6", Length(feature="tailnum", min=4, max=6)),
    ("type(carrier) is categorical", Kind(feature="carrier", kind="categorical")),
    ("arr_time >= dep_time", Compare(left="arr_time", op=">=", right="dep_time")),
    ("start != end", Compare(left="start", op="!=", right="end")),
    ("x <= 5 tolerance 0.1%", Range(feature="x", max=5, tolerance=0.001)),
    ('c in ["a"] tolerance 0.02', InSet(feature="c", values=("a",), tolerance=0.02)),
]


@pytest.mark.parametrize(("line", "rule"), LINES, ids=[line for line, _ in LINES])
def test_a_line_parses_to_its_rule_and_its_text_parses_back(line: str, rule: object) -> None:
    parsed = parse_rule(line)
    assert parsed == rule
    assert parse_rule(parsed.text) == parsed
    assert parse_rule(parsed.model_dump()) == parsed  # the table form is the same rule


def test_subjects_and_row_levels() -> None:
    assert parse_rule("arr_time >= dep_time").subject == "arr_time>=dep_time"
    assert parse_rule("arr_time >= dep_time").features == ("arr_time", "dep_time")
    assert parse_rule("x <= 1").row_level and not parse_rule("null_rate(x) <= 0.1").row_level
    assert not parse_rule("mean(x) <= 1").row_level


@pytest.mark.parametrize(
    ("raw", "message"),
    [("x between 5 and 1", "min 5.0 is above max 1.0"),
     ("null_rate(x) >= 0.1", "upper bound"),
     ("null_rate(x) <= 2", "less than or equal to 1"),
     ("x in [1, 2]", "JSON list of strings"),
     ('x matches "("', "not a regular expression"),
     ('x matches "^(?=a)"', "RE2"),
     ("x foo", "cannot read 'foo'"),
     ("quantile(x) <= 1", "q is required"),
     ("x <= 1 tolerance 2", "tolerance"),
     ("type(x) is text", "numeric|categorical"),
     ("bad name! <= 1", "cannot read 'name! <= 1'"),
     ("!x <= 1", "expected a rule such as"),
     ({"check": "range", "feature": "x"}, "give min, max or both"),
     ({"check": "colour", "feature": "x"}, "check"),
     ({"check": "range", "feature": "x", "max": 1, "extra": 2}, "extra"),
     ({"check": "range", "feature": "x y", "max": 1}, "feature name")])
def test_a_bad_rule_names_itself_and_the_problem(raw: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match="rules\\[2\\]") as caught:
        parse_rules(["x <= 1", "null_rate(x) <= 0.1", raw], "rules")
    assert message in str(caught.value)


def test_rules_must_be_a_list_of_lines_or_tables() -> None:
    with pytest.raises(ConfigurationError, match="expected a list"):
        parse_rules("x <= 1")
    with pytest.raises(ConfigurationError, match=r"rules\[0\]: expected a rule line"):
        parse_rules([3])

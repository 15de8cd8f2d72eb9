"""The compiled aggregate: one expression set per rule, literals quoted (a hostile value or
pattern stays a literal), read back from a real chDB scan."""

from __future__ import annotations

import math

import pandas as pd

from driftline.ingest.writer import Ingestor
from driftline.storage import Store
from driftline.validation import compile_rules, parse_rules, read_outcomes

T0 = 1_700_006_400.0


def test_one_count_per_row_rule_and_no_sql_for_a_type_rule() -> None:
    rules = parse_rules(["x <= 1", "type(x) is numeric", "null_rate(x) <= 0.1", "mean(x) <= 1"])
    exprs = compile_rules(rules, examples=3)
    assert exprs[0] == "count() AS n_rows"
    assert [e.split(" AS ")[1] for e in exprs[1:]] == ["n_0", "v_0", "e_0", "v_2", "n_3", "s_3"]
    assert "groupArrayIf(3)(event_id" in exprs[3]
    assert not [e for e in compile_rules(rules, examples=0) if "groupArray" in e]


def test_hostile_literals_stay_literals(chdb_store: Store) -> None:
    hostile = "a') OR 1=1 OR ('"
    frame = pd.DataFrame({"event_id": ["1", "2", "3"], "timestamp": [T0, T0 + 1, T0 + 2],
                          "c": [hostile, "b", "it's"]})
    Ingestor(chdb_store).ingest_frame("m", frame)
    rules = parse_rules([{"check": "in_set", "feature": "c", "values": [hostile, "it's"]},
                         {"check": "regex", "feature": "c", "pattern": "^it's$|' OR 1=1 --"}])
    row = chdb_store.events.aggregate("m", compile_rules(rules, 5), T0, T0 + 10)
    in_set, regex = read_outcomes(rules, row, {"c": "categorical"})
    assert (in_set.violations, in_set.examples) == (1, ("2",))  # only "b" is outside
    assert regex.violations == 2 and set(regex.examples) == {"1", "2"}
    assert math.isclose(in_set.value, 1 / 3)

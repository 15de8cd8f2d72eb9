"""Schema changes as results: an added or removed feature is recorded in the window whose
events first carry the new version; a planned change is ok, an unplanned one an alert."""

from __future__ import annotations

import pytest

from driftline.engine import Engine, Monitor, WindowSpec
from driftline.engine.config import parse_monitor
from driftline.engine.kinds import SchemaSettings
from driftline.errors import ConfigurationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultStatus, Store

T0 = 1_700_006_400.0
DAY = 86400.0


def _day(store: Store, day: int, features: dict[str, object]) -> None:
    events = [{"model": "m", "event_id": f"{day}-{i}", "timestamp": T0 + day * DAY + i,
               "features": features} for i in range(10)]
    assert Ingestor(store).ingest_events(events).accepted == 10


def test_added_and_removed_features_are_results_and_planned_ones_are_quiet(
        chdb_store: Store) -> None:
    _day(chdb_store, 0, {"x": 1.0})
    _day(chdb_store, 1, {"x": 1.0})
    _day(chdb_store, 2, {"x": 1.0, "y": "a"})  # unplanned
    _day(chdb_store, 3, {"x": 1.0, "y": "a", "z": 2.0})  # planned
    chdb_store.events.remove_features("m", ["x"])  # declared, and planned
    _day(chdb_store, 4, {"y": "a", "z": 2.0})
    monitor = Monitor.create("schema", "m", kind="schema",
                             window=WindowSpec.tumbling(DAY, origin=T0), planned=["+z", "-x"])
    evaluations = Engine(chdb_store).backfill(monitor, T0, T0 + 5 * DAY)
    assert [e.status for e in evaluations] == [ResultStatus.OK, ResultStatus.OK,
                                               ResultStatus.ALERT, ResultStatus.OK,
                                               ResultStatus.OK]
    assert evaluations[0].records[0].details["note"] == "first window: baseline"
    assert len(evaluations[1].records) == 1  # nothing changed
    overall, added_y = evaluations[2].records
    assert (added_y.subject, added_y.metric, added_y.value) == ("y", "feature_added", 2.0)
    assert added_y.status is ResultStatus.ALERT and added_y.details["kind"] == "categorical"
    assert overall.value == 1 and overall.details["changes"] == ["+y"]
    _, added_z = evaluations[3].records
    assert added_z.status is ResultStatus.OK and added_z.details["planned"] is True
    _, removed_x = evaluations[4].records
    assert (removed_x.subject, removed_x.metric) == ("x", "feature_removed")
    assert removed_x.status is ResultStatus.OK
    # without the plan the same changes alert
    strict = Monitor.create("strict", "m", kind="schema",
                            window=WindowSpec.tumbling(DAY, origin=T0))
    statuses = [e.status for e in Engine(chdb_store).backfill(strict, T0, T0 + 5 * DAY)]
    assert statuses[2:] == [ResultStatus.ALERT] * 3


def test_planned_changes_are_signed_feature_names() -> None:
    monitor = parse_monitor({"id": "s", "model": "m", "kind": "schema", "planned": ["+a"]})
    assert isinstance(monitor.settings, SchemaSettings)
    with pytest.raises(ConfigurationError, match=r"monitor\.planned: .*'\+feature'.*'a'"):
        parse_monitor({"id": "s", "model": "m", "kind": "schema", "planned": ["a"]})

"""store.events, run against embedded chDB and the ClickHouse server."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import NotFoundError, ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.writer import Ingestor
from driftline.storage import Store
from tests.storage.recording_backend import recording_store

T0 = 1_700_000_000


def _events(n: int, model: str = "m1", start: int = 0) -> list[dict[str, object]]:
    return [
        {"model": model, "event_id": f"e{i}", "timestamp": T0 + i,
         "features": {"x": float(i), "color": ["red", "blue", None][i % 3]},
         "prediction": {"yes": 0.25, "no": 0.75}, "model_version": "v1"}
        for i in range(start, start + n)
    ]


def test_events_round_trip_and_redelivery_is_not_double_counted(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events(_events(300))
    assert report.accepted == 300
    retried = ingestor.ingest_events(_events(300))  # a retried batch: nothing new is stored
    assert (retried.accepted, retried.duplicates) == (0, 300)
    assert store.events.count("m1") == 300
    cols = store.events.read("m1", ["ts", "x", "color", "prediction", "prediction_label"])
    assert cols["ts"][0] == T0
    np.testing.assert_array_equal(cols["x"], np.arange(300, dtype=float))
    assert list(cols["color"][:3]) == ["red", "blue", None]
    assert cols["prediction"][0] == 0.75 and cols["prediction_label"][0] == "no"
    assert store.events.time_bounds("m1") == (T0, T0 + 299)


def test_window_bounds_are_half_open(store: Store) -> None:
    Ingestor(store).ingest_events(_events(100))
    assert store.events.count("m1", T0 + 10, T0 + 20) == 10
    assert store.events.count("m1", None, T0 + 1) == 1


def test_unknown_model_counts_nothing(store: Store) -> None:
    assert store.events.count("nobody") == 0
    assert store.events.time_bounds("nobody") is None
    assert store.events.current_schema("nobody") is None and store.events.known_kinds("x") == {}


def test_deterministic_sample(store: Store) -> None:
    Ingestor(store).ingest_events(_events(500))
    a = store.events.read("m1", ["x"], limit=50, sample_seed=7)["x"]
    b = store.events.read("m1", ["x"], limit=50, sample_seed=7)["x"]
    c = store.events.read("m1", ["x"], limit=50, sample_seed=8)["x"]
    assert len(a) == 50
    np.testing.assert_array_equal(a, b)
    assert set(a) != set(c)


def test_prefiltered_sample_picks_the_same_rows(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3000))
    full = store.events.read("m1", ["x"], limit=40, sample_seed=5)["x"]
    fast = store.events.read("m1", ["x"], limit=40, sample_seed=5, total=3000)["x"]
    np.testing.assert_array_equal(full, fast)


def test_newest_first_keeps_the_latest(store: Store) -> None:
    Ingestor(store).ingest_events(_events(10))
    cols = store.events.read("m1", ["ts"], limit=3, newest_first=True)
    assert list(cols["ts"]) == [T0 + 9, T0 + 8, T0 + 7]


def test_profile_bins_and_categories_are_pushed_down(store: Store) -> None:
    Ingestor(store).ingest_events(_events(300))
    profile = store.events.numeric_profile("m1", ["x"], T0, T0 + 100)
    assert profile["x"]["count"] == 100 and profile["x"]["nulls"] == 0
    assert profile["x"]["mean"] == pytest.approx(49.5)
    assert profile["x"]["min"] == 0 and profile["x"]["max"] == 99
    # quartiles come from a t-digest: approximate, bounded memory
    assert [profile["x"][q] for q in ("q0.25", "q0.5", "q0.75")] == pytest.approx(
        [24.75, 49.5, 74.25], abs=2.0)
    bins = store.events.bin_counts("m1", {"x": [10.0, 50.0]}, T0, T0 + 100)
    expected = np.bincount(np.searchsorted([10.0, 50.0], np.arange(100.0), side="right"))
    np.testing.assert_array_equal(bins["x"], expected)
    cats = store.events.category_counts("m1", ["color"], T0, T0 + 300)
    assert cats == {"color": {"red": 100, "blue": 100, None: 100}}
    assert store.events.category_counts("m1", [], T0, T0 + 300) == {}


def test_a_new_feature_is_a_schema_version(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(10))
    extra = [{"model": "m1", "event_id": "n1", "timestamp": T0 + 50,
              "features": {"x": 1.0, "color": "red", "speed": 3.5}}]
    report = ingestor.ingest_events(extra)
    assert report.accepted == 1
    assert [(s.version, s.added, s.removed) for s in report.schema_changes] == [
        (2, ("speed",), ())]
    # a feature sent with a missing value is data, not a schema change
    report = ingestor.ingest_events([{"model": "m1", "event_id": "n3", "timestamp": T0 + 52,
                                      "features": {"x": 2.0, "color": None}}])
    assert report.accepted == 1 and report.schema_changes == []
    versions = store.events.schema_versions("m1")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].features == {"x": FeatureKind.NUMERIC, "color": FeatureKind.CATEGORICAL,
                                    "speed": FeatureKind.NUMERIC}
    speed = store.events.read("m1", ["speed"])["speed"]
    assert np.isnan(speed).sum() == 11 and np.nanmax(speed) == 3.5
    assert store.events.list_models()[0].schema_version == 2


def _subset_events(i: int, features: dict[str, object]) -> list[dict[str, object]]:
    return [{"model": "m1", "event_id": f"s{i}-{j}", "timestamp": T0 + 100 * i + j,
             "features": features} for j in range(3)]


def test_a_batch_with_some_features_is_missing_values_not_a_new_version(store: Store) -> None:
    """Finding 4 of issue 7: alternating subsets made one version per batch."""
    ingestor = Ingestor(store)
    subsets: list[dict[str, object]] = [{"x": 1.0, "color": "red"}, {"y": 2.0, "size": "L"}]
    changes = []
    for i in range(12):
        report = ingestor.ingest_events(_subset_events(i, subsets[i % 2]))
        assert report.accepted == 3 and not report.rejected
        changes += [(s.version, s.added, s.removed) for s in report.schema_changes]
    assert changes == [(1, ("color", "x"), ()), (2, ("size", "y"), ())]
    assert [v.version for v in store.events.schema_versions("m1")] == [1, 2]
    live = {"x": FeatureKind.NUMERIC, "color": FeatureKind.CATEGORICAL,
            "y": FeatureKind.NUMERIC, "size": FeatureKind.CATEGORICAL}
    schema = store.events.current_schema("m1")
    assert schema is not None and schema.features == live
    store.events.forget_all()  # what another process reads
    assert store.events.schema_versions("m1")[-1].features == live
    # a feature changing kind is still a rejection that names the field
    report = ingestor.ingest_events(_subset_events(99, {"y": "tall"}))
    assert {r.field for r in report.rejected} == {"features.y"} and not report.schema_changes


def test_a_drift_monitor_without_features_uses_every_live_feature(chdb_store: Store) -> None:
    from driftline.engine.monitor import Monitor
    from driftline.engine.runner import Engine
    from driftline.engine.windows import ReferenceSpec, Span, WindowSpec

    ingestor = Ingestor(chdb_store)
    rng = np.random.default_rng(3)
    for hour in range(2):
        for part in range(4):  # alternating subsets; the last batch is numeric only
            events: list[dict[str, object]] = []
            for j in range(40):
                features: dict[str, object] = (
                    {"color": str(rng.choice(["red", "blue"])), "shape": "round"}
                    if part % 2 == 0 else {"x": float(rng.normal()), "y": float(rng.normal())})
                events.append({"model": "m1", "event_id": f"h{hour}p{part}e{j}",
                               "timestamp": T0 + 3600 * hour + 900 * part + j,
                               "features": features})
            ingestor.ingest_events(events)
    monitor = Monitor.drift("all", "m1", "psi", WindowSpec.tumbling(3600),
                            ReferenceSpec.trailing(3600))
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + 3600, T0 + 7200))
    subjects = {r.subject for r in evaluation.records} - {"*"}
    assert subjects == {"color", "shape", "x", "y"}
    chi2 = Monitor.drift("cats", "m1", "chi2", WindowSpec.tumbling(3600),
                         ReferenceSpec.trailing(3600))
    evaluation = Engine(chdb_store).evaluate(chi2, Span(T0 + 3600, T0 + 7200))
    assert {r.subject for r in evaluation.records} - {"*"} == {"color", "shape"}


def test_declared_removal_is_a_schema_version(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(5))
    ingestor.ingest_events(_subset_events(1, {"x": 1.0, "speed": 2.0}))
    removed = store.events.remove_features("m1", ["speed", "color"])
    assert (removed.version, removed.added, removed.removed) == (3, (), ("color", "speed"))
    assert store.events.current_schema("m1") == removed
    assert removed.features == {"x": FeatureKind.NUMERIC}
    assert store.events.remove_features("m1", ["speed"]) == removed  # already removed
    with pytest.raises(NotFoundError, match="no feature 'nope'"):
        store.events.remove_features("m1", ["nope"])
    with pytest.raises(NotFoundError):
        store.events.remove_features("nobody", ["x"])
    # the column and its history are kept; the kind is remembered; coming back is an addition
    assert store.events.known_kinds("m1")["color"] is FeatureKind.CATEGORICAL
    assert int(np.sum(store.events.read("m1", ["speed"])["speed"] == 2.0)) == 3
    report = ingestor.ingest_events(_subset_events(2, {"x": 1.0, "speed": 5.0}))
    assert [(s.version, s.added) for s in report.schema_changes] == [(4, ("speed",))]


def test_a_feature_absent_longer_than_the_setting_is_removed_on_the_next_write(
        store: Store) -> None:
    now = [float(T0)]
    store.events.clock = lambda: now[0]
    store.events.feature_absence_s = 7 * 86400.0
    ingestor = Ingestor(store)
    ingestor.ingest_events(_subset_events(0, {"x": 1.0, "color": "red", "speed": 2.0}))
    for day in range(1, 10):  # speed is never sent again; color is sent without values
        now[0] = T0 + day * 86400.0
        report = ingestor.ingest_events(_subset_events(day, {"x": 1.0, "color": None}))
        if day < 8:
            assert report.schema_changes == [], day
    versions = store.events.schema_versions("m1")
    assert [(v.version, v.added, v.removed) for v in versions] == [
        (1, ("color", "speed", "x"), ()), (2, (), ("color", "speed"))]
    # another process (a fresh cache) agrees on what was seen when
    store.events.forget_all()
    now[0] += 86400.0
    assert not ingestor.ingest_events(_subset_events(20, {"x": 3.0})).schema_changes


def test_bad_event_is_rejected_precisely_and_rest_is_stored(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(5))
    batch = _events(5, start=5)
    batch[2]["features"] = {"x": "not-a-number", "color": "red"}
    batch[4]["timestamp"] = "yesterday"
    report = ingestor.ingest_events(batch)
    assert report.accepted == 3
    assert [(r.index, r.field) for r in report.rejected] == [(2, "features.x"), (4, "timestamp")]
    assert "numeric" in report.rejected[0].reason and report.rejected[0].event_id == "e7"
    assert store.events.count("m1") == 8


def test_unknown_column_is_a_precise_error(store: Store) -> None:
    Ingestor(store).ingest_events(_events(3))
    with pytest.raises(ValidationError, match="no column 'nope'"):
        store.events.read("m1", ["nope"])


def test_reserved_and_look_alike_feature_names(store: Store) -> None:
    ingestor = Ingestor(store)
    report = ingestor.ingest_events([
        {"model": "m1", "event_id": "r", "timestamp": T0, "features": {"prediction": 1.0}},
        {"model": "m1", "event_id": "a", "timestamp": T0, "features": {"a": 1.0, "f_a": 2.0}},
    ])
    assert [(r.index, r.field) for r in report.rejected] == [(0, "features.prediction")]
    assert "none of event_id, ts" in report.rejected[0].reason
    # f_a's column is f_f_a: reading both must not mix them up
    cols = store.events.read("m1", ["f_a", "a"])
    assert (cols["a"][0], cols["f_a"][0]) == (1.0, 2.0)


def test_dropped_model_is_gone_and_can_come_back(store: Store) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_events(_events(5) + _events(2, model="other"))
    store.events.drop_model("m1")
    assert [m.name for m in store.events.list_models()] == ["other"]
    assert store.events.count("m1") == 0 and store.events.current_schema("m1") is None
    assert ingestor.ingest_events(_events(3)).accepted == 3
    assert store.events.count("m1") == 3 and store.events.count("other") == 2


def test_an_event_id_is_stored_once_whatever_its_timestamp(store: Store) -> None:
    ingestor = Ingestor(store)
    assert ingestor.ingest_events(_events(3)).accepted == 3
    moved = [{**e, "timestamp": T0 + 86400 * 40} for e in _events(3)]  # another partition
    untimed = [{k: v for k, v in e.items() if k != "timestamp"} for e in _events(3)]
    report = ingestor.ingest_events([*moved, *untimed, *_events(2, start=3)])
    assert (report.accepted, report.duplicates) == (2, 6)
    assert store.events.count("m1") == 5
    columns = {"event_id": np.array(["e0", "z1", "z1", "z2"], dtype=object),
               "timestamp": np.array([T0 + 9, T0 + 10, T0 + 11, T0 + 12], dtype=np.float64),
               "features": {"x": np.array([1.0, 2.0, 3.0, 4.0])}}
    report = ingestor.ingest_columns("m1", columns)
    assert (report.accepted, report.duplicates) == (2, 2)
    cols = store.events.read("m1", ["event_id", "ts", "x"])
    assert list(cols["event_id"]) == ["e0", "e1", "e2", "e3", "e4", "z1", "z2"]
    assert list(cols["ts"][-2:]) == [T0 + 10, T0 + 12]  # the first of the batch wins
    assert store.events.count("m1") == 7


def test_the_id_lookup_covers_batches_larger_than_one_query(store: Store) -> None:
    ingestor = Ingestor(store)
    ids = [f"id-{i:05d}-" + "p" * 100 for i in range(5000)]  # ~0.6 MB of ids
    columns = {"event_id": ids, "timestamp": [T0 + i for i in range(5000)],
               "features": {"x": [float(i) for i in range(5000)]}}
    assert ingestor.ingest_columns("big", columns).accepted == 5000
    columns["timestamp"] = [T0 + 7 for _ in range(5000)]
    report = ingestor.ingest_columns("big", columns)
    assert (report.accepted, report.duplicates) == (0, 5000)
    assert store.events.count("big") == 5000


def test_many_new_columns_are_one_alter(store: Store) -> None:
    """Finding 5 of issue 7: 1,000 new features took one ALTER each (38 s)."""
    # ClickHouse 18.16 writes every column of a part with ~4 MB of buffers: an insert into
    # 1,000 Nullable columns needs more than the test server's 4 GB query limit
    n = 1000 if store.dialect.capabilities.if_not_exists_column else 500
    recorded, backend = recording_store(store)
    names = [f"c{i:04d}" for i in range(n)]
    report = Ingestor(recorded).ingest_columns("m1", {
        "event_id": ["wide"], "timestamp": [T0 + 10],
        "features": {name: [float(i)] for i, name in enumerate(names)}})
    assert report.accepted == 1 and [len(s.added) for s in report.schema_changes] == [n]
    assert len(backend.alters("events_m1")) == 1
    cols = store.events.read("m1", [names[0], names[-1]])
    assert (cols[names[0]][0], cols[names[-1]][0]) == (0.0, n - 1.0)

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Sequence

import numpy as np
import pytest

from driftline.detector import Status, available_detectors, detector_capabilities
from driftline.engine import Engine, ReferenceSpec, Span
from driftline.engine.kinds import DriftKind, DriftSettings, get_kind
from driftline.engine.kinds.drift import _json_value, _merged, monitor_seed
from driftline.errors import ConfigurationError
from driftline.ingest.writer import Ingestor
from driftline.storage import ResultRecord, ResultStatus, Store
from tests.engine.conftest import HOUR, T0, hourly_monitor, load_hours


def test_drift_is_a_registered_kind_with_a_settings_model() -> None:
    assert get_kind("drift") is DriftKind
    assert DriftKind.settings_model is DriftSettings and not DriftKind.uses_labels
    parsed = DriftKind.parse_settings({"test": "psi", "max_rows": 10})
    assert isinstance(parsed, DriftSettings) and parsed.test == "psi" and parsed.max_rows == 10


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"test": "magic"}, r"m\.test: .*unknown detector 'magic'"),
     ({"max_rows": 0}, r"m\.max_rows: .*greater than or equal to 1"),
     ({"settings": {"bogus": 1}}, r"m\.settings: .*bogus"),
     ({"colour": "red"}, r"m\.colour: Extra inputs are not permitted")])
def test_bad_settings_name_the_key(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        DriftKind.parse_settings(settings, where="m")


def test_a_window_without_events_is_no_data(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=1, shift_from=99)
    empty = Span(T0 + 5 * HOUR, T0 + 6 * HOUR)
    evaluation = Engine(chdb_store).evaluate(hourly_monitor(), empty)
    [row] = evaluation.records
    assert row.status == ResultStatus.NO_DATA and row.subject == "*" and row.n_window == 0
    assert math.isnan(row.value)


def test_an_unfittable_reference_is_reference_unavailable(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99)
    # the hour before the data is empty: the window is recorded as untestable (so the
    # scheduler moves on), and told apart from a window with too few rows
    monitor = hourly_monitor(test="mmd", reference=ReferenceSpec.trailing(HOUR))
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0, T0 + HOUR))
    [row] = evaluation.records
    assert row.status == ResultStatus.REFERENCE_UNAVAILABLE and row.n_window == 400
    assert row.details["note"].startswith("reference")


def test_a_missing_training_profile_is_reference_unavailable(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99)
    monitor = hourly_monitor(reference=ReferenceSpec.training())
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0, T0 + HOUR))
    assert evaluation.status == ResultStatus.REFERENCE_UNAVAILABLE
    assert "save_reference" in evaluation.records[0].details["note"]


def test_too_few_rows_is_insufficient_data(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99, n_per_hour=10)
    monitor = hourly_monitor(settings={"min_samples": 20})  # 10 rows a side
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR))
    assert evaluation.status == ResultStatus.INSUFFICIENT_DATA
    assert {r.status for r in evaluation.records} == {ResultStatus.INSUFFICIENT_DATA}


def test_the_missing_profile_note_names_a_function_that_exists(chdb_store: Store) -> None:
    """Issue 7, finding 10: the note named ``driftline.save_reference``, which does not exist."""
    import importlib
    import re

    load_hours(chdb_store, hours=1, shift_from=99)
    monitor = hourly_monitor(reference=ReferenceSpec.training())
    note = Engine(chdb_store).evaluate(monitor, Span(T0, T0 + HOUR)).records[0].details["note"]
    [dotted] = re.findall(r"(driftline(?:\.\w+)+)", note)
    module, _, name = dotted.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


def _load(store: Store, sizes: Sequence[int], missing_x: bool = False) -> None:
    """Hour ``h`` of model ``m`` holds ``sizes[h]`` events (x, y numeric, c categorical), no
    shift; ``missing_x``: x has no value after the first hour."""
    rng = np.random.default_rng(1)
    events = []
    for h, n in enumerate(sizes):
        x, y = rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n)
        for i in range(n):
            features = {"x": None if missing_x and h else float(x[i]), "y": float(y[i]),
                        "c": "abc"[i % 3]}
            events.append({"model": "m", "event_id": f"{h}-{i}",
                           "timestamp": T0 + h * HOUR + i * HOUR / n, "features": features,
                           "prediction": 0.5})
    assert Ingestor(store).ingest_events(events).accepted == len(events)


def _stripped(records: Sequence[ResultRecord]) -> list[ResultRecord]:
    return [dataclasses.replace(r, revision=0) for r in records]


_VERDICTS = {Status.DRIFT: ResultStatus.ALERT, Status.NO_DRIFT: ResultStatus.OK,
             Status.INSUFFICIENT_DATA: ResultStatus.INSUFFICIENT_DATA}


@pytest.mark.parametrize("n_window", [1, 3])
@pytest.mark.parametrize("test", available_detectors())
def test_a_tiny_window_is_insufficient_data_never_an_error(chdb_store: Store, test: str,
                                                           n_window: int) -> None:
    """Every detector, at its default settings, says ``insufficient_data`` for a one-row
    window (against a 400-row reference), and the engine stores it as such; at 3 rows each
    record says what the detector said. Nothing raises (the scheduler would store an
    ``error`` record)."""
    _load(chdb_store, [400, n_window])
    monitor = hourly_monitor(test=test)
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR))
    result = evaluation.outcome
    star, *features = evaluation.records
    assert evaluation.status == star.status == _VERDICTS[result.status]
    assert [r.status for r in features] == [_VERDICTS[f.status] for f in result.features]
    if n_window == 1:
        assert {r.status for r in evaluation.records} == {ResultStatus.INSUFFICIENT_DATA}
    assert all(json.dumps(dict(r.details), allow_nan=False) for r in evaluation.records)
    stored = chdb_store.results.read("m", "mon")
    assert sorted(r.status for r in stored) == sorted(r.status for r in evaluation.records)


@pytest.mark.parametrize("test", [t for t in available_detectors()
                                  if "numeric" in detector_capabilities(t).input_kinds
                                  and not detector_capabilities(t).multivariate])
def test_a_feature_without_values_in_the_window_is_insufficient_data(chdb_store: Store,
                                                                     test: str) -> None:
    _load(chdb_store, [400, 400], missing_x=True)
    monitor = hourly_monitor(test=test, features=("x", "y"))
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR))
    by_subject = {r.subject: r for r in evaluation.records}
    assert by_subject["x"].status == ResultStatus.INSUFFICIENT_DATA
    assert by_subject["y"].status in (ResultStatus.OK, ResultStatus.ALERT)


def test_the_same_window_gives_identical_records_in_fresh_engines(chdb_store: Store) -> None:
    """Every random choice (the window's and the reference's samples, the detector's
    subsample and permutations) is seeded from the monitor: a fresh engine, as in another
    process, gives the same records."""
    _load(chdb_store, [400, 400, 400])
    # 100 of the 400 rows per side: the samples and the permutations all matter
    monitor = hourly_monitor(test="mmd", reference=ReferenceSpec.trailing(HOUR),
                             settings={"max_samples": 100, "n_permutations": 50})
    window = Span(T0 + 2 * HOUR, T0 + 3 * HOUR)
    first = Engine(chdb_store).evaluate(monitor, window)
    second = Engine(chdb_store).evaluate(monitor, window)
    assert first.records[0].n_window == 100 and math.isfinite(first.records[0].p_value)
    assert _stripped(first.records) == _stripped(second.records)
    seed = monitor_seed("mon", 0)
    assert first.records[0].details["seed"] == first.records[0].details["detector_seed"] == seed


def test_the_monitor_seed_is_stable_and_differs_between_monitors() -> None:
    # pinned: the same in every process (``hash()`` is salted per process) and version
    assert monitor_seed("mon", 0) == monitor_seed("mon") == 944663653
    seeds = {monitor_seed(m, s) for m in ("mon", "mon2", "flights-mmd") for s in (0, 1, 2)}
    assert len(seeds) == 9 and all(0 <= s < 2**32 for s in seeds)


def test_the_detector_gets_the_monitor_seed_unless_its_settings_set_one(
        chdb_store: Store) -> None:
    _load(chdb_store, [400, 400])
    window = Span(T0 + HOUR, T0 + 2 * HOUR)
    engine = Engine(chdb_store)
    settings = {"n_permutations": 50}
    a = engine.evaluate(hourly_monitor(id="a", test="mmd", settings=settings), window)
    # monitor b sets the seed monitor a's detector got: the same permutations, the same test
    b = engine.evaluate(hourly_monitor(id="b", test="mmd",
                                       settings={**settings, "seed": monitor_seed("a")}), window)
    [ra], [rb] = a.records, b.records
    assert ra.details["detector_seed"] == rb.details["detector_seed"] == monitor_seed("a")
    assert ra.details["seed"] == monitor_seed("a") != rb.details["seed"] == monitor_seed("b")
    assert (ra.value, ra.p_value, ra.status) == (rb.value, rb.p_value, rb.status)
    # a detector without a seed setting gets none
    ks = engine.evaluate(hourly_monitor(id="k"), window)
    assert "detector_seed" not in ks.records[0].details


def test_records_carry_the_detectors_details(chdb_store: Store) -> None:
    """The headline feature, the result's and each feature's details are in the records (and
    stored as JSON), so a reader sees how the verdict was reached."""
    _load(chdb_store, [400, 400])
    monitor = hourly_monitor(test="chi2", features=("c",))
    evaluation = Engine(chdb_store).evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR))
    result = evaluation.outcome
    star, *features = evaluation.records
    assert star.subject == "*" and star.details["feature"] == result.feature == "c"
    assert result.details  # the chi-squared test says how its p-value was found
    for key, value in result.details.items():
        assert star.details[key] == _json_value(value)
    for record, feature in zip(features, result.features, strict=True):
        assert record.subject == feature.feature
        for key, value in feature.details.items():
            assert record.details[key] == _json_value(value)
    stored = chdb_store.results.read("m", "mon")
    assert sorted((r.subject, dict(r.details)) for r in stored) == sorted(
        (r.subject, dict(r.details)) for r in evaluation.records)


class _Colour(enum.Enum):
    RED = "red"


def test_details_are_plain_json() -> None:
    details = _merged({"mean": 1.5}, {
        "mean": np.float32(2.0), "n_permutations": np.int64(100), "bandwidth": np.float64(0.5),
        "levels": ("a", "b"), "edges": np.array([0.0, np.inf]), "p_value_mc_error": math.nan,
        "nested": {"k": np.bool_(True)}, "colour": _Colour.RED, "unseen": {"b", "a"}})
    assert details == {"mean": 1.5, "test_mean": 2.0, "n_permutations": 100, "bandwidth": 0.5,
                       "levels": ["a", "b"], "edges": [0.0, None], "p_value_mc_error": None,
                       "nested": {"k": True}, "colour": "red", "unseen": ["a", "b"]}
    assert type(details["n_permutations"]) is int
    assert json.loads(json.dumps(details, allow_nan=False)) == details

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.engine import Engine, ReferenceSpec, Span
from driftline.errors import ConfigurationError
from driftline.storage import ResultStatus, Store
from tests.engine.conftest import HOUR, T0, hourly_monitor, load_hours


def test_backfill_finds_the_shift_and_stores_every_result(store: Store) -> None:
    load_hours(store, hours=5, shift_from=3)
    done = Engine(store).backfill(hourly_monitor(), T0 + HOUR, T0 + 5 * HOUR)
    assert [e.window.start for e in done] == [T0 + HOUR * k for k in (1, 2, 3, 4)]
    assert [e.outcome.drifted_features for e in done] == [(), (), ("x",), ("x",)]
    assert [e.status for e in done] == ["ok", "ok", "alert", "alert"]
    rows = store.results.read("m", "mon")
    assert len(rows) == 4 * 3  # "*" + x + y per window
    x_row = next(r for r in rows if r.subject == "x" and r.window_start == T0 + 3 * HOUR)
    ref = store.events.read("m", ["x"], T0, T0 + HOUR)["x"]
    win = store.events.read("m", ["x"], T0 + 3 * HOUR, T0 + 4 * HOUR)["x"]
    expected = stats.ks_2samp(ref, win)
    assert x_row.value == pytest.approx(expected.statistic, abs=1e-12)
    assert x_row.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert (x_row.kind, x_row.metric, x_row.status) == ("drift", "ks", ResultStatus.ALERT)
    assert x_row.n_window == 400 and x_row.n_reference == 400
    assert x_row.details["count"] == 400 and x_row.details["nulls"] == 0
    assert (x_row.reference_start, x_row.reference_end) == (T0, T0 + HOUR)


def test_training_reference_and_categorical_test(store: Store) -> None:
    load_hours(store, hours=2, shift_from=99)
    store.references.save("m", {"c": np.array(["a"] * 300 + ["b"] * 100, dtype=object)})
    monitor = hourly_monitor(test="chi2", reference=ReferenceSpec.training())
    [evaluation] = Engine(store).backfill(monitor, T0 + HOUR, T0 + 2 * HOUR)
    assert evaluation.outcome.drifted_features == ("c",)
    overall = evaluation.records[0]
    assert (overall.reference_start, overall.reference_end) == (0.0, 0.0)
    assert overall.details["reference"] == "stored"


def test_sampled_windows_are_deterministic(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=3, shift_from=99)
    monitor = hourly_monitor(max_rows=100, reference=ReferenceSpec.trailing(HOUR))
    a = Engine(chdb_store).backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    b = Engine(chdb_store).backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    assert [e.outcome.statistic for e in a] == [e.outcome.statistic for e in b]
    assert all(e.outcome.n_window == 100 for e in a)


def test_unknown_feature_is_a_configuration_error(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99)
    with pytest.raises(ConfigurationError, match="no features"):
        Engine(chdb_store).backfill(hourly_monitor(features=("nope",)), T0, T0 + 2 * HOUR)


@pytest.mark.parametrize(
    ("test", "names"),
    [("psi", ["x", "y", "c"]), ("jensen_shannon", ["x", "y", "c"]),
     ("hellinger", ["x", "y", "c"]), ("linf", ["x", "y", "c"]), ("chi2", ["c"])])
def test_counts_pushed_down_equal_scoring_raw_rows(store: Store, test: str,
                                                   names: list[str]) -> None:
    from driftline.detector import get_detector

    load_hours(store, hours=3, shift_from=2)
    monitor = hourly_monitor(test=test, features=tuple(names))
    pushed, _ = Engine(store).backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    reference = store.events.read("m", names, T0, T0 + HOUR)
    window = store.events.read("m", names, pushed.window.start, pushed.window.end)
    raw = get_detector(test).fit({n: reference[n] for n in names}).score(
        {n: window[n] for n in names})
    assert pushed.outcome.statistic == pytest.approx(raw.statistic, rel=1e-12)
    assert [f.statistic for f in pushed.outcome.features] == pytest.approx(
        [f.statistic for f in raw.features], rel=1e-12)


def test_a_training_profile_saved_again_is_used_by_a_running_engine(store: Store) -> None:
    load_hours(store, hours=3, shift_from=99)
    engine = Engine(store)
    monitor = hourly_monitor(test="chi2", reference=ReferenceSpec.training())
    store.references.save("m", {"c": np.array(["a", "b"] * 200, dtype=object)})
    assert engine.evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR)).status == "ok"
    store.references.save("m", {"c": np.array(["a"] * 390 + ["b"] * 10, dtype=object)})
    assert engine.evaluate(monitor, Span(T0 + 2 * HOUR, T0 + 3 * HOUR)).status == "alert"


def test_re_evaluating_a_window_adds_a_revision_readers_see_the_latest(chdb_store: Store
                                                                      ) -> None:
    load_hours(chdb_store, hours=2, shift_from=99)
    engine = Engine(chdb_store)
    window = Span(T0 + HOUR, T0 + 2 * HOUR)
    first = engine.evaluate(hourly_monitor(), window)
    second = engine.evaluate(hourly_monitor(), window)
    assert second.records[0].revision > first.records[0].revision
    latest = chdb_store.results.read("m", "mon")
    assert len(latest) == 3 and {r.revision for r in latest} == {second.records[0].revision}
    history = chdb_store.results.read("m", "mon", all_revisions=True)
    assert len(history) == 6


def test_an_error_record_names_the_error(chdb_store: Store) -> None:
    load_hours(chdb_store, hours=2, shift_from=99)
    engine = Engine(chdb_store)
    monitor = hourly_monitor(features=("nope",))
    window = Span(T0 + HOUR, T0 + 2 * HOUR)
    evaluation = engine.record_error(monitor, window, ConfigurationError("no features ['nope']"))
    [row] = chdb_store.results.read("m", "mon")
    assert row.status == ResultStatus.ERROR == evaluation.status
    assert row.details["error_type"] == "ConfigurationError"
    assert "nope" in row.details["error"]

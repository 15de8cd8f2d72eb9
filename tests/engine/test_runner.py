from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.engine import Engine, Monitor, ReferenceSpec, Scheduler, Span, WindowSpec
from driftline.errors import ConfigurationError
from driftline.ingest.references import save_reference
from driftline.ingest.store import Store
from driftline.ingest.writer import Ingestor

T0 = 1_700_006_400  # a multiple of 3600
HOUR = 3600.0


def _load(store: Store, hours: int, shift_from: int, n_per_hour: int = 400) -> None:
    rng = np.random.default_rng(0)
    events = []
    for h in range(hours):
        x = rng.normal(2.0 if h >= shift_from else 0.0, 1.0, n_per_hour)
        y = rng.normal(0.0, 1.0, n_per_hour)
        for i in range(n_per_hour):
            events.append({"model": "m", "event_id": f"{h}-{i}",
                           "timestamp": T0 + h * HOUR + i * HOUR / n_per_hour,
                           "features": {"x": float(x[i]), "y": float(y[i]),
                                        "c": "ab"[i % 2]}, "prediction": 0.5})
    report = Ingestor(store).ingest_events(events)
    assert report.accepted == len(events)


def _monitor(**kw: object) -> Monitor:
    base: dict[str, object] = {
        "id": "mon", "model": "m", "test": "ks", "window": WindowSpec.tumbling(HOUR, origin=T0),
        "reference": ReferenceSpec.fixed(T0, T0 + HOUR)}
    base.update(kw)
    return Monitor(**base)  # type: ignore[arg-type]


def test_backfill_finds_the_shift_and_stores_every_result(store: Store) -> None:
    _load(store, hours=5, shift_from=3)
    outcomes = Engine(store).backfill(_monitor(), T0 + HOUR, T0 + 5 * HOUR)
    assert [s.start for s, _ in outcomes] == [T0 + HOUR * k for k in (1, 2, 3, 4)]
    assert [r.drifted_features for _, r in outcomes] == [(), (), ("x",), ("x",)]
    rows = store.read_results("m", "mon")
    assert len(rows) == 4 * 3  # "*" + x + y per window
    x_row = next(r for r in rows if r.feature == "x" and r.window_start == T0 + 3 * HOUR)
    ref = store.read_events("m", ["x"], T0, T0 + HOUR)["x"]
    win = store.read_events("m", ["x"], T0 + 3 * HOUR, T0 + 4 * HOUR)["x"]
    expected = stats.ks_2samp(ref, win)
    assert x_row.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert x_row.drifted and x_row.n_window == 400 and x_row.n_reference == 400
    assert x_row.details["count"] == 400 and x_row.details["nulls"] == 0


def test_training_reference_and_categorical_test(store: Store) -> None:
    _load(store, hours=2, shift_from=99)
    save_reference(store, "m", {"c": np.array(["a"] * 300 + ["b"] * 100, dtype=object)})
    monitor = _monitor(test="chi2", reference=ReferenceSpec.training())
    [(_, result)] = Engine(store).backfill(monitor, T0 + HOUR, T0 + 2 * HOUR)
    assert result.drifted_features == ("c",)


def test_sampled_windows_are_deterministic(chdb_store: Store) -> None:
    _load(chdb_store, hours=3, shift_from=99)
    monitor = _monitor(max_rows=100, reference=ReferenceSpec.trailing(HOUR))
    engine = Engine(chdb_store)
    a = engine.backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    b = Engine(chdb_store).backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    assert [r.statistic for _, r in a] == [r.statistic for _, r in b]
    assert all(r.n_window == 100 for _, r in a)


def test_scheduler_carries_on_where_it_stopped(chdb_store: Store) -> None:
    _load(chdb_store, hours=4, shift_from=99)
    monitor = _monitor()
    first = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now=T0 + 3 * HOUR)
    assert [s.end for s, _ in first["mon"]] == [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    again = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(now=T0 + 4 * HOUR)
    assert [s.start for s, _ in again["mon"]] == [T0 + 3 * HOUR]


def test_unknown_feature_is_a_configuration_error(chdb_store: Store) -> None:
    _load(chdb_store, hours=2, shift_from=99)
    with pytest.raises(ConfigurationError, match="no features"):
        Engine(chdb_store).backfill(_monitor(features=("nope",)), T0, T0 + 2 * HOUR)


@pytest.mark.parametrize(
    ("test", "names"),
    [("psi", ["x", "y", "c"]), ("jensen_shannon", ["x", "y", "c"]),
     ("hellinger", ["x", "y", "c"]), ("linf", ["x", "y", "c"]), ("chi2", ["c"])])
def test_counts_pushed_down_equal_scoring_raw_rows(store: Store, test: str,
                                                   names: list[str]) -> None:
    from driftline.detector import get_detector

    _load(store, hours=3, shift_from=2)
    monitor = _monitor(test=test, features=tuple(names))
    [(span, pushed), _] = Engine(store).backfill(monitor, T0 + HOUR, T0 + 3 * HOUR)
    reference = store.read_events("m", names, T0, T0 + HOUR)
    window = store.read_events("m", names, span.start, span.end)
    raw = get_detector(test).fit({n: reference[n] for n in names}).score(
        {n: window[n] for n in names})
    assert pushed.statistic == pytest.approx(raw.statistic, rel=1e-12)
    assert [f.statistic for f in pushed.features] == pytest.approx(
        [f.statistic for f in raw.features], rel=1e-12)


def test_scheduler_stops_at_the_data_and_bounds_each_run(chdb_store: Store) -> None:
    _load(chdb_store, hours=4, shift_from=99)
    monitor = _monitor()
    years_later = T0 + 3 * 365 * 24 * HOUR
    done = Scheduler(chdb_store, [monitor], lateness_s=0, max_windows=2).run_once(years_later)
    assert [s.end for s, _ in done["mon"]] == [T0 + HOUR, T0 + 2 * HOUR]
    rest = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(years_later)
    # the window holding the last event ends at T0 + 4h; nothing after it is evaluated
    assert [s.end for s, _ in rest["mon"]] == [T0 + 3 * HOUR, T0 + 4 * HOUR]


def test_untestable_reference_is_stored_as_insufficient_data(chdb_store: Store) -> None:
    _load(chdb_store, hours=2, shift_from=99)
    # MMD cannot be fitted on the empty hour before the data: the window is still recorded,
    # so the scheduler moves on instead of retrying it forever
    monitor = _monitor(test="mmd", reference=ReferenceSpec.trailing(HOUR))
    done = Scheduler(chdb_store, [monitor], lateness_s=0).run_once(T0 + 2 * HOUR)
    statuses = [str(r.status) for _, r in done["mon"]]
    assert statuses == ["insufficient_data", "no_drift"]
    first = chdb_store.read_results("m", "mon")[0]
    assert first.feature == "*" and "reference" in first.details["note"]
    assert chdb_store.last_window_end("mon") == T0 + 2 * HOUR


def test_a_training_profile_saved_again_is_used_by_a_running_engine(store: Store) -> None:
    _load(store, hours=3, shift_from=99)
    engine = Engine(store)
    monitor = _monitor(test="chi2", reference=ReferenceSpec.training())
    save_reference(store, "m", {"c": np.array(["a", "b"] * 200, dtype=object)})
    assert not engine.evaluate(monitor, Span(T0 + HOUR, T0 + 2 * HOUR)).drifted
    save_reference(store, "m", {"c": np.array(["a"] * 390 + ["b"] * 10, dtype=object)})
    assert engine.evaluate(monitor, Span(T0 + 2 * HOUR, T0 + 3 * HOUR)).drifted

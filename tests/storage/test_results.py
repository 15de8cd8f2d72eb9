"""store.results: general records, revisions and the latest view, on chDB and the server."""

from __future__ import annotations

import math

import pytest

from driftline.storage import ResultRecord, ResultStatus, Store

T0 = 1_700_000_000


def _record(subject: str = "x", *, start: float = T0, value: float = 0.5,
            status: ResultStatus = ResultStatus.OK, monitor: str = "mon", metric: str = "ks",
            revision: int = 0, model: str = "m1", **extra: object) -> ResultRecord:
    return ResultRecord(monitor, "drift", model, start, start + 60, subject, metric, value,
                        status, revision=revision, **extra)  # type: ignore[arg-type]


def test_every_field_round_trips(store: Store) -> None:
    record = ResultRecord(
        "mon", "drift", "m1", T0, T0 + 60, "x", "ks", 0.5, ResultStatus.ALERT,
        reference_start=T0 - 60, reference_end=T0, threshold=0.05, lower=0.0, upper=1.0,
        p_value=1e-6, effect_size=0.4, n_reference=100, n_window=200,
        labels={"severity": "page", "segment": "eu"}, details={"note": "x", "bins": [1, 2]},
        revision=42)
    assert store.results.insert([record]) == 1
    assert store.results.read("m1") == [record]
    store.results.insert([_record("y", value=math.nan, start=T0 + 60)])
    stored = store.results.read("m1", subject="y")[0]
    assert math.isnan(stored.value) and math.isnan(stored.threshold) and stored.labels == {}
    assert stored.revision > 42 and stored.status is ResultStatus.OK  # revision set at insert


def test_a_re_evaluation_replaces_the_whole_window(store: Store) -> None:
    store.results.insert([_record("x", status=ResultStatus.ALERT), _record("y"), _record("*")])
    store.results.insert([_record("x", start=T0 + 60)])
    store.results.insert([_record("x", value=0.1), _record("*", value=0.2)])  # y is gone
    latest = store.results.read("m1", "mon")
    assert [(r.window_start, r.subject, r.value) for r in latest] == [
        (T0, "*", 0.2), (T0, "x", 0.1), (T0 + 60, "x", 0.5)]
    assert len({r.revision for r in latest if r.window_start == T0}) == 1
    history = store.results.read("m1", "mon", all_revisions=True)
    assert len(history) == 6
    assert [r.subject for r in history if r.window_start == T0] == ["*", "*", "x", "x", "y"]


def test_read_filters(store: Store) -> None:
    store.results.insert([_record("x", status=ResultStatus.ALERT), _record("y"),
                          _record("x", start=T0 + 60), _record("x", monitor="other"),
                          _record("x", model="m2", monitor="third")])
    assert len(store.results.read()) == 5
    assert len(store.results.read("m1")) == 4
    assert {r.monitor_id for r in store.results.read(monitor_id="other")} == {"other"}
    assert [r.subject for r in store.results.read("m1", "mon", subject="y")] == ["y"]
    assert len(store.results.read(status=ResultStatus.ALERT)) == 1
    assert len(store.results.read(status="ok")) == 4
    assert store.results.read(kind="performance") == []
    assert [r.window_start for r in store.results.read("m1", "mon", start=T0 + 60)] == [T0 + 60]
    assert [r.window_start for r in store.results.read("m1", "mon", end=T0 + 60)] == [T0, T0]
    assert len(store.results.read(limit=2)) == 2
    with pytest.raises(ValueError, match="not_a_status"):
        store.results.read(status="not_a_status")


def test_a_status_filter_does_not_bring_back_an_old_revision(store: Store) -> None:
    store.results.insert([_record("x", status=ResultStatus.ALERT)])
    store.results.insert([_record("x", status=ResultStatus.OK)])
    assert store.results.read(status=ResultStatus.ALERT) == []


def test_latest_is_each_series_newest_window(store: Store) -> None:
    store.results.insert([_record("x", status=ResultStatus.ALERT), _record("y")])
    store.results.insert([_record("x", start=T0 + 60)])
    store.results.insert([_record("x", start=T0 + 60, value=0.9, status=ResultStatus.ALERT)])
    store.results.insert([_record("*", monitor="other", start=T0 + 600)])
    latest = store.results.latest("m1")
    assert [(r.monitor_id, r.subject, r.window_start, r.value) for r in latest] == [
        ("mon", "x", T0 + 60, 0.9), ("mon", "y", T0, 0.5), ("other", "*", T0 + 600, 0.5)]
    assert [r.subject for r in store.results.latest(monitor_id="other")] == ["*"]
    assert store.results.latest("nobody") == []


def test_last_window_end_and_revisions(store: Store) -> None:
    assert store.results.last_window_end("mon") is None
    assert store.results.revisions("mon", T0, T0 + 1000) == {}
    store.results.insert([_record("x", revision=5), _record("y", revision=5)])
    store.results.insert([_record("x", revision=9)])
    store.results.insert([_record("x", start=T0 + 60, revision=7)])
    assert store.results.last_window_end("mon") == T0 + 120
    assert store.results.revisions("mon", T0, T0 + 120) == {
        (T0, T0 + 60): 9, (T0 + 60, T0 + 120): 7}
    # window ends in (start, end]
    assert store.results.revisions("mon", T0 + 60, T0 + 120) == {(T0 + 60, T0 + 120): 7}
    assert store.results.revisions("mon", T0, T0 + 119) == {(T0, T0 + 60): 9}
    assert store.results.revisions("other", T0, T0 + 120) == {}


def test_last_window_end_can_leave_out_error_records(store: Store) -> None:
    """The scheduler's position: a window whose latest record is an error is not done."""
    store.results.insert([_record("*", revision=5)])
    store.results.insert([_record("*", start=T0 + 60, status=ResultStatus.ERROR, revision=6)])
    assert store.results.last_window_end("mon") == T0 + 120  # unchanged default
    assert store.results.last_window_end("mon", ignore_errors=True) == T0 + 60
    assert store.results.last_window_end("other", ignore_errors=True) is None
    store.results.insert([_record("*", start=T0 + 60, revision=7)])  # retried, and it worked
    assert store.results.last_window_end("mon", ignore_errors=True) == T0 + 120

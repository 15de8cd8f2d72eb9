from __future__ import annotations

import math

import pytest

from driftline.engine import Engine, ReferenceSpec, Span
from driftline.engine.kinds import DriftKind, DriftSettings, get_kind
from driftline.errors import ConfigurationError
from driftline.storage import ResultStatus, Store
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
    evaluation = Engine(chdb_store).evaluate(hourly_monitor(), Span(T0 + HOUR, T0 + 2 * HOUR))
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

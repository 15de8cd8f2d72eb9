from __future__ import annotations

import pytest

from driftline.engine import Monitor, WindowSpec
from driftline.engine.kinds import DriftSettings
from driftline.errors import ConfigurationError


def test_a_monitor_is_a_kind_with_validated_settings() -> None:
    monitor = Monitor.create("a", "m", kind="drift", window=WindowSpec.tumbling(60), test="psi")
    assert monitor.kind == "drift" and isinstance(monitor.settings, DriftSettings)
    assert monitor.settings.test == "psi" and monitor.settings.max_rows == 200_000
    assert Monitor.drift("a", "m", "psi", WindowSpec.tumbling(60)) == monitor


def test_the_key_changes_with_the_settings() -> None:
    a = Monitor.drift("a", "m", "ks")
    assert a.key != Monitor.drift("a", "m", "ks", settings={"alpha": 0.01}).key
    assert a.key == Monitor.drift("a", "m", "ks").key


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"kind": "nope"}, "unknown monitor kind 'nope'"),
     ({"test": "magic"}, r"monitor 'a'\.test: .*unknown detector"),
     ({"max_rows": -1}, r"monitor 'a'\.max_rows")])
def test_errors_name_the_monitor_and_key(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Monitor.create("a", "m", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "-x", "a b", "x\n", "a" * 129])
def test_monitor_ids_are_checked_in_full(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="monitor id"):
        Monitor.drift(bad, "m")

"""The demo end to end on the embedded store: a year of real flights through SDK and engine."""

from __future__ import annotations

import io

import numpy as np
import pytest

from driftline.demo import DEMO_MODEL, run_demo
from driftline.storage import Store


@pytest.mark.slow
def test_demo_replays_the_year_and_finds_the_known_shifts(chdb_store: Store) -> None:
    out = io.StringIO()
    summary = run_demo(chdb_store, out=out)
    text = out.getvalue()
    assert chdb_store.events.count(DEMO_MODEL) == 336_776
    labeled = chdb_store.labels.read_labeled(DEMO_MODEL)
    assert len(labeled["label"]) == 327_346  # cancelled flights have no label
    # the summer and holiday delays move dep_delay; most weeks stay quiet
    weeks = summary["drifted_weeks"]["dep_delay"]
    assert "2013-06-24" in weeks and "2013-12-16" in weeks
    assert set(summary["drifted_weeks"]) == {"dep_delay"}
    assert summary["quiet_weeks"] >= len(summary["accuracy"]) // 2
    # the late rate follows the known months: July high, September low
    by_week = dict(zip([w for w, *_ in _weeks(text)], summary["accuracy"], strict=True))
    july = np.mean([by_week[w][2] for w in by_week if w.startswith("2013-07")])
    september = np.mean([by_week[w][2] for w in by_week if w.startswith("2013-09")])
    assert july > 0.25 > 0.15 > september
    stored = chdb_store.results.read(DEMO_MODEL, "flights-ks")
    assert len(stored) == len(summary["accuracy"]) * 5  # "*" + 4 features per window
    assert "ADWIN" in text and "replaying" not in text  # the progress bar goes to stderr


def _weeks(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.startswith("2013-")]

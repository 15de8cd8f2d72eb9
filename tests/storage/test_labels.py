"""store.labels, run against embedded chDB and the ClickHouse server."""

from __future__ import annotations

import time

from driftline.ingest.events import validate_labels
from driftline.ingest.writer import Ingestor
from driftline.storage import Store

T0 = 1_700_000_000


def _events(n: int) -> list[dict[str, object]]:
    return [{"model": "m1", "event_id": f"e{i}", "timestamp": T0 + i, "features": {"x": 1.0},
             "prediction": {"yes": 0.25, "no": 0.75}} for i in range(n)]


def _label(store: Store, *items: tuple[str, object]) -> None:
    labels, rejected = validate_labels(
        [{"model": "m1", "event_id": event_id, "label": label} for event_id, label in items])
    assert not rejected
    store.labels.insert(labels["m1"])


def test_corrected_label_replaces_the_old_one(store: Store) -> None:
    Ingestor(store).ingest_events(_events(4))
    _label(store, ("e1", "yes"), ("e2", 1))
    _label(store, ("e1", "no"))
    joined = store.labels.read_labeled("m1")
    assert list(joined["event_id"]) == ["e1", "e2"]
    assert joined["label_class"][0] == "no" and joined["label"][1] == 1.0
    assert list(joined["ts"]) == [T0 + 1, T0 + 2]
    assert joined["prediction_label"][0] == "no"
    assert list(store.labels.read_labeled("m1", T0 + 2, T0 + 3)["event_id"]) == ["e2"]


def test_within_one_batch_the_later_label_wins(store: Store) -> None:
    Ingestor(store).ingest_events(_events(2))
    _label(store, ("e0", "a"), ("e0", "b"))
    assert list(store.labels.read_labeled("m1")["label_class"]) == ["b"]


def test_latest_received_ns_is_the_newest_label_of_the_window(store: Store) -> None:
    Ingestor(store).ingest_events(_events(10))
    assert store.labels.latest_received_ns("m1", T0, T0 + 10) is None
    assert store.labels.latest_received_ns("nobody", T0, T0 + 10) is None
    before = time.time_ns()
    _label(store, ("e1", 1))
    first = store.labels.latest_received_ns("m1", T0, T0 + 5)
    assert first is not None and first >= before
    _label(store, ("e7", 0))  # another window: this one's value stays
    assert store.labels.latest_received_ns("m1", T0, T0 + 5) == first
    later = store.labels.latest_received_ns("m1", T0 + 5, T0 + 10)
    assert later is not None and later > first
    assert store.labels.latest_received_ns("m1", T0, T0 + 10) == later
    _label(store, ("e1", 0))  # a corrected label is new news for its window
    corrected = store.labels.latest_received_ns("m1", T0, T0 + 5)
    assert corrected is not None and corrected > later
    assert store.labels.latest_received_ns("m1", T0 + 2, T0 + 5) is None  # end is open


def test_labels_of_unknown_events_are_kept_apart(store: Store) -> None:
    Ingestor(store).ingest_events(_events(2))
    _label(store, ("ghost", 1))
    assert len(store.labels.read_labeled("m1")["event_id"]) == 0
    assert store.labels.latest_received_ns("m1", T0, T0 + 2) is None

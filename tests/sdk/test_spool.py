"""The spool: bounded, atomic, oldest first, and it outlives the process that wrote it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from driftline.sdk import Client, DiskSpool, ExportResult, MemorySpool
from tests.sdk.conftest import RecordingExporter, events


def test_disk_spool_is_oldest_first_and_deletes_only_on_ack(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path)
    for start in (0, 10, 20):
        assert spool.put(events(10, start=start), []) == {}
    assert len(spool) == 3
    assert not list(tmp_path.glob(".tmp-*"))
    first = spool.oldest()
    assert first is not None
    assert first.events == events(10)
    assert spool.oldest() == first  # not acknowledged: still there
    spool.ack(first)
    assert len(list(tmp_path.glob("*.json"))) == 2
    second = spool.oldest()
    assert second is not None
    assert second.events[0]["event_id"] == "e10"
    assert DiskSpool(tmp_path).oldest() == second  # a new process sees the same order


def test_disk_spool_is_bounded_in_bytes(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=2_000)
    assert spool.put(events(10), []) == {}
    assert spool.put(events(10, start=10), []) == {"spool_full": 10}
    assert len(spool) == 1
    assert 0 < spool.bytes <= 2_000
    assert sum(p.stat().st_size for p in tmp_path.glob("*.json")) == spool.bytes


def test_unreadable_and_half_written_files_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "00000000000000000001-1-00000000.json").write_text("{not json")
    (tmp_path / ".tmp-00000000000000000002-1-00000000.json").write_text('{"events": [')
    spool = DiskSpool(tmp_path)
    spool.put(events(3), [])
    batch = spool.oldest()
    assert batch is not None
    assert len(batch.events) == 3
    assert "unreadable spool file" in caplog.text


def test_memory_spool_is_bounded_in_items() -> None:
    spool = MemorySpool(max_items=15)
    assert spool.put(events(10), []) == {}
    assert spool.put(events(10), []) == {"spool_full": 10}
    batch = spool.oldest()
    assert batch is not None
    spool.ack(batch)
    assert len(spool) == 0
    assert spool.put(events(10), []) == {}


def test_batches_wait_in_the_spool_and_are_redelivered_with_backoff(tmp_path: Path) -> None:
    rec = RecordingExporter()
    rec.fail = True
    client = Client(rec, model="m", max_batch_size=100, flush_interval_s=0.05, spool_dir=tmp_path)
    for i in range(1_000):
        client.log_prediction({"x": float(i)})
    time.sleep(1.0)
    # backing off, not one attempt per batch or per tick (the first attempt has 2 in flight)
    assert rec.calls <= 5
    assert not client.flush(5)
    assert client.stats.spooled == 1_000
    assert len(list(tmp_path.glob("*.json"))) == 10
    rec.fail = False
    assert client.flush(10)
    assert sorted(e["event_id"] for e in rec.events) == sorted({e["event_id"] for e in rec.events})
    assert len(rec.events) == 1_000
    assert client.stats.redelivered == 1_000
    assert not list(tmp_path.glob("*.json"))
    assert client.shutdown()


def test_a_new_client_on_the_same_spool_delivers_what_the_last_one_left(tmp_path: Path) -> None:
    down = RecordingExporter()
    down.fail = True
    first = Client(down, model="m", spool_dir=tmp_path, flush_interval_s=60)
    ids = [first.log_prediction({"x": float(i)}) for i in range(500)]
    assert first.shutdown(timeout=5) is False  # still spooled
    assert not down.events

    up = RecordingExporter()
    second = Client(up, model="m", spool_dir=tmp_path, flush_interval_s=60)
    deadline = time.monotonic() + 10  # delivered at start-up, without any new event
    while len(up.events) < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e["event_id"] for e in up.events] == ids
    assert second.flush(5)
    assert second.shutdown()


def test_non_retryable_rejections_are_dropped_not_spooled(tmp_path: Path) -> None:
    class Rejecting(RecordingExporter):
        def export(self, events, labels, *, dropped=None):  # type: ignore[no-untyped-def]
            return ExportResult.drop_all(len(events), "rejected_by_server", "HTTP 401")

    client = Client(Rejecting(), model="m", spool_dir=tmp_path, flush_interval_s=60)
    client.log_prediction({"x": 1.0})
    assert not client.flush(5)  # nothing waits, but the event was dropped
    assert client.stats.dropped == {"rejected_by_server": 1}
    assert not list(tmp_path.glob("*.json"))
    assert client.shutdown()

"""The Client: an O(1) log call that never raises or blocks, batching, flush/shutdown, fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import driftline
import driftline.sdk as sdk
from driftline.errors import ConfigurationError
from driftline.sdk import Client, ExportResult, HttpExporter, NoopClient
from driftline.storage import Store
from tests.sdk.conftest import RecordingExporter, sdk_drops_reported


def test_log_prediction_builds_an_event_and_flush_delivers_it() -> None:
    rec = RecordingExporter()
    client = Client(rec, model="fraud", model_version="v2", flush_interval_s=60)
    event_id = client.log_prediction(
        {"amount": 12.5, "country": "FR"}, 0.03, tags={"region": "eu"}, latency_ms=1.5
    )
    client.log_label(event_id, 1)
    assert client.flush(5)
    (event,) = rec.events
    assert event["event_id"] == event_id
    assert event["model"] == "fraud"
    assert event["model_version"] == "v2"
    assert event["features"] == {"amount": 12.5, "country": "FR"}
    assert event["prediction"] == 0.03
    assert event["latency_ms"] == 1.5
    assert event["tags"] == {"region": "eu"}
    assert abs(event["timestamp"] - time.time()) < 5
    assert rec.labels == [
        {
            "model": "fraud",
            "event_id": event_id,
            "label": 1,
            "timestamp": rec.labels[0]["timestamp"],
        }
    ]
    assert client.stats.exported == 2
    assert client.stats.logged == 2
    assert client.shutdown()


def test_event_ids_are_unique_and_the_features_are_copied() -> None:
    client = Client(RecordingExporter(), model="m", flush_interval_s=60)
    features = {"x": 1.0}
    ids = {client.log_prediction(features) for _ in range(10_000)}
    features["x"] = 2.0
    assert len(ids) == 10_000
    assert client._events[0]["features"] == {"x": 1.0}
    assert client.shutdown()


def test_a_full_queue_drops_and_counts_without_raising_or_blocking() -> None:
    rec = RecordingExporter()
    client = Client(rec, model="m", max_queue_size=10, max_batch_size=1000, flush_interval_s=60)
    start = time.perf_counter()
    for i in range(25):
        client.log_prediction({"x": float(i)})
    assert time.perf_counter() - start < 0.5
    assert client.stats.dropped == {"queue_full": 15}
    assert client.stats.logged == 25
    assert client.stats.queued == 10
    assert not client.flush(5)  # delivered, but 15 were dropped since the last flush
    assert client.stats.last_flush_dropped == {"queue_full": 15}
    assert len(rec.events) == 10
    assert rec.dropped_reports[-1] == {"queue_full": 15}  # reported to the service once
    client.log_prediction({"x": 0.0})
    assert client.flush(5)
    assert rec.dropped_reports[-1] == {}
    assert client.shutdown()


def test_bad_input_never_raises(tmp_path: Path) -> None:
    rec = RecordingExporter()
    rec.fail = True  # batches go through the (JSON) spool
    client = Client(rec, model="m", spool_dir=tmp_path, flush_interval_s=60)
    client.log_prediction(None)  # type: ignore[arg-type]
    client.log_prediction(42)  # type: ignore[arg-type]
    client.log_prediction({"x": object()})
    client.log_prediction({"x": 1.0})
    client.log_label("e1", object())
    assert not client.flush(5)
    assert client.stats.dropped == {"invalid_event": 2, "unserializable": 2}
    assert client.stats.spooled == 1
    assert client.shutdown(timeout=5) is False  # the spooled event is still waiting


def test_a_full_batch_is_exported_without_waiting_for_the_timer() -> None:
    rec = RecordingExporter()
    client = Client(rec, model="m", max_batch_size=100, flush_interval_s=60)
    for i in range(250):
        client.log_prediction({"x": float(i)})
    deadline = time.monotonic() + 5
    while len(rec.events) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(rec.events) == 200
    assert client.flush(5)
    assert len(rec.events) == 250
    assert client.shutdown()


def test_the_timer_exports_a_partial_batch() -> None:
    rec = RecordingExporter()
    client = Client(rec, model="m", flush_interval_s=0.05)
    client.log_prediction({"x": 1.0})
    deadline = time.monotonic() + 5
    while not rec.events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(rec.events) == 1
    assert client.shutdown()


def test_flush_and_shutdown_are_idempotent() -> None:
    rec = RecordingExporter()
    client = Client(rec, model="m")
    assert client.flush(1)
    assert client.flush(1)
    client.log_prediction({"x": 1.0})
    assert client.shutdown()
    assert client.shutdown()
    assert len(rec.events) == 1
    assert rec.closed == 1
    client.log_prediction({"x": 2.0})  # after shutdown: counted, not raised
    assert client.stats.dropped == {"shutdown": 1}
    assert not client.flush(1)  # the drop is news to this flush
    assert client.flush(1)


def test_noop_client_is_the_default_until_init(
    chdb_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(driftline.get_client(), NoopClient)
    assert isinstance(driftline.log_prediction({"x": 1.0}, model="m"), str)
    driftline.log_label("e", 1)
    assert driftline.flush()
    assert driftline.shutdown()
    monkeypatch.delenv("DRIFTLINE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="exactly one destination"):
        driftline.init()
    client = driftline.init(store=chdb_store, model="m1", flush_interval_s=60)
    try:
        assert driftline.get_client() is client
        for i in range(100):
            driftline.log_prediction({"x": float(i)}, 0.5)
        assert driftline.flush(10)
        assert chdb_store.events.count("m1") == 100
    finally:
        assert driftline.shutdown()
    assert isinstance(driftline.get_client(), NoopClient)


def test_exports_are_complete_and_import_driftline_stays_light() -> None:
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None, name
    for name in driftline.__all__:
        assert getattr(driftline, name) is not None, name
    code = (
        "import sys, driftline; heavy = [m for m in ('numpy', 'pandas', 'httpx', 'chdb',"
        " 'clickhouse_driver', 'fastapi', 'pydantic') if m in sys.modules];"
        " print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ATEXIT_SCRIPT = """
import json, sys
from driftline.sdk import Client, ExportResult

class FileExporter:
    def export(self, events, labels, *, dropped=None):
        with open(sys.argv[1], "a") as f:
            for e in events:
                f.write(json.dumps(e["event_id"]) + "\\n")
        return ExportResult(accepted=len(events))
    def close(self):
        pass

client = Client(FileExporter(), model="m", flush_interval_s=60)
for i in range(500):
    client.log_prediction({"x": float(i)})
"""  # exits without flush or shutdown: atexit delivers the queue


def test_queued_events_are_delivered_at_interpreter_exit(tmp_path: Path) -> None:
    out = tmp_path / "ids.jsonl"
    subprocess.run([sys.executable, "-c", ATEXIT_SCRIPT, str(out)], check=True, timeout=60)
    assert len(set(out.read_text().splitlines())) == 500


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_works_and_does_not_resend_the_parents_events(tmp_path: Path) -> None:
    rec = RecordingExporter()
    client = Client(rec, model="m", flush_interval_s=60)
    parent_ids = [client.log_prediction({"x": float(i)}) for i in range(10)]
    out = tmp_path / "child.json"
    pid = os.fork()
    if pid == 0:  # the child: only its own events, with a new id prefix
        code = 1
        try:
            child_ids = [client.log_prediction({"x": float(i)}) for i in range(3)]
            ok = client.flush(10)
            exported = [e["event_id"] for e in rec.events]
            out.write_text(json.dumps({"ok": ok, "ids": child_ids, "exported": exported}))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    child = json.loads(out.read_text())
    assert child["ok"]
    assert child["exported"] == child["ids"]
    assert not set(child["ids"]) & set(parent_ids)
    assert child["ids"][0][:16] != parent_ids[0][:16]
    assert client.flush(10)
    assert [e["event_id"] for e in rec.events] == parent_ids
    assert client.shutdown()


def test_a_backlog_is_exported_two_batches_at_a_time() -> None:
    import threading

    class Slow:
        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.active = self.peak = 0
            self.ids: list[str] = []

        def export(self, events, labels, *, dropped=None):  # type: ignore[no-untyped-def]
            from driftline.sdk import ExportResult

            with self.lock:
                self.active += 1
                self.peak = max(self.peak, self.active)
            time.sleep(0.05)
            with self.lock:
                self.active -= 1
                self.ids += [e["event_id"] for e in events]
            return ExportResult(accepted=len(events))

    slow = Slow()
    client = Client(slow, model="m", max_batch_size=100, flush_interval_s=60)  # type: ignore[arg-type]
    ids = [client.log_prediction({"x": 1.0}) for _ in range(1_000)]
    assert client.flush(10)
    assert sorted(slow.ids) == sorted(ids)
    assert slow.peak == 2
    assert client.shutdown()


def test_flush_is_false_when_anything_was_dropped_since_the_last_flush(app_url: str) -> None:
    client = Client(HttpExporter(app_url, api_key="k"), model="m1", max_queue_size=5,
                    flush_interval_s=60)
    try:
        client.log_prediction(None)  # type: ignore[arg-type]  # invalid_event
        for i in range(3):
            client.log_prediction({"x": float(i)}, 0.5)
        client.log_prediction({"x": object()})  # unserializable
        client.log_prediction({"x": 1.0}, model="no such model!")  # rejected by the service
        client.log_prediction({"x": 1.0})  # queue_full
        client.log_prediction({"x": 1.0})  # queue_full
        assert not client.flush(10)
        expected = {"queue_full": 2, "unserializable": 1, "invalid_event": 2}
        assert client.stats.last_flush_dropped == expected
        assert client.stats.dropped_since_flush == {}
        assert client.stats.exported == 3
        client.log_prediction({"x": 9.0})
        assert client.flush(10)  # nothing dropped since the last flush
        assert client.stats.last_flush_dropped == {}
        assert client.stats.dropped == expected  # the totals stay
        assert client.flush(10)
    finally:
        client.shutdown()

    wrong_key = Client(HttpExporter(app_url, api_key="wrong"), model="m1", flush_interval_s=60)
    try:
        wrong_key.log_prediction({"x": 1.0})
        assert not wrong_key.flush(10)
        assert wrong_key.stats.last_flush_dropped == {"rejected_by_server": 1}
    finally:
        wrong_key.shutdown()


def test_drops_after_the_last_batch_are_reported_at_shutdown() -> None:
    class RejectingOne(RecordingExporter):
        def export(self, events, labels, *, dropped=None):  # type: ignore[no-untyped-def]
            result = super().export(events, labels, dropped=dropped)
            if events:  # the service rejects one item of every batch
                return ExportResult(accepted=len(events) - 1, dropped={"invalid_event": 1})
            return result

    rec = RejectingOne()
    client = Client(rec, model="m", flush_interval_s=60)
    client.log_prediction({"x": 1.0})
    client.log_prediction({"x": 2.0})
    client.log_prediction(None)  # type: ignore[arg-type]
    assert client.shutdown()
    assert sum(r.get("invalid_event", 0) for r in rec.dropped_reports) == 2  # each once


DROPS_AT_EXIT_SCRIPT = """
import sys
from driftline.sdk import Client, HttpExporter

client = Client(HttpExporter(sys.argv[1], api_key="k"), model="m1", flush_interval_s=60)
client.log_prediction({"x": 1.0})
client.log_prediction({"x": 2.0}, model="no such model!")  # the service rejects it
client.flush(10)
client.log_prediction(None)  # dropped right before exit, no batch follows
"""  # exits without shutdown: atexit reports both drops to the service


def test_drops_right_before_exit_are_reported_to_the_service(app_url: str) -> None:
    subprocess.run([sys.executable, "-c", DROPS_AT_EXIT_SCRIPT, app_url], check=True, timeout=60)
    assert sdk_drops_reported(app_url) == {"invalid_event": 2.0}

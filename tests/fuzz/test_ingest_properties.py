"""Stateful property test of ingest -> store -> read: random batches of valid, invalid and
re-sent events; every acknowledged event is readable exactly once through
``GET /v1/models/{model}/events``, every rejected one is reported with its index and field."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from typing import Any, ClassVar

from hypothesis import Phase
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.fuzz import strategies
from tests.fuzz.conftest import COUNTS, fuzz_settings

#: invalid events: how to spoil a valid one, and the field the rejection must name
SPOILERS: dict[str, tuple[str, Any]] = {
    "timestamp": ("timestamp", "not a time"),
    "features.n_amount": ("features", {"n_amount": [1.0]}),
    "features.bad name!": ("features", {"bad name!": 1.0}),
    "latency_ms": ("latency_ms", -1.0),
    "model": ("model", "bad model!"),
}


class IngestMachine(RuleBasedStateMachine):
    http: ClassVar[Any] = None
    #: a re-sent event keeps its time (the SDK fixes id and time at log time)
    new_time_on_resend: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.model = f"sm-{uuid.uuid4().hex[:12]}"
        self.acked: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count()  # per machine: a replayed run draws the same ids

    @rule(data=st.data(), n_new=st.integers(0, 8), invalid=st.lists(st.sampled_from(
        sorted(SPOILERS)), max_size=3), n_resend=st.integers(0, 3))
    def send(self, data: Any, n_new: int, invalid: list[str], n_resend: int) -> None:
        items: list[tuple[str, dict[str, Any] | str]] = []
        for _ in range(n_new):
            event = data.draw(strategies.events(self.model))
            items.append(("new", {**event, "event_id": f"{event['event_id']}-{next(self.ids)}"}))
        for field in invalid:
            event = data.draw(strategies.events(self.model))
            key, value = SPOILERS[field]
            items.append((field, {**event, "event_id": f"bad-{next(self.ids)}", key: value}))
        if self.acked and n_resend:
            for event_id in data.draw(st.lists(st.sampled_from(sorted(self.acked)),
                                               min_size=1, max_size=n_resend, unique=True)):
                again = dict(self.acked[event_id])
                if self.new_time_on_resend:
                    again["timestamp"] = again["timestamp"] - 1
                items.append(("resend", again))
        if data.draw(st.booleans()):
            items.append(("", "not an object"))
        if not items:
            return
        order = data.draw(st.permutations(range(len(items))))
        batch = [items[i] for i in order]
        response = self.http.post("/v1/events", json={"events": [b for _, b in batch]})
        COUNTS["stateful requests"] += 1
        COUNTS["stateful events sent"] += len(batch)
        assert response.status_code == 200, response.text
        answer = response.json()
        rejected = {r["index"]: r["field"] for r in answer["rejected"]}
        expected = {i: kind for i, (kind, _) in enumerate(batch) if kind not in ("new", "resend")}
        assert rejected == expected, answer["rejected"]
        n_new = sum(kind == "new" for kind, _ in batch)
        assert answer["accepted"] == n_new, answer  # what was stored: re-sent ones are not
        for kind, event in batch:
            if kind == "new":
                assert isinstance(event, dict)
                self.acked[event["event_id"]] = event
        COUNTS["stateful events acknowledged"] += n_new

    @invariant()
    def every_acknowledged_event_is_stored_once(self) -> None:
        if not self.acked:
            return
        response = self.http.get(f"/v1/models/{self.model}/events",
                                 params={"columns": "event_id", "limit": 100_000})
        COUNTS["stateful requests"] += 1
        assert response.status_code == 200, response.text
        stored = Counter(row["event_id"] for row in response.json()["rows"])
        assert {i: n for i, n in stored.items() if n != 1} == {}, "stored more than once"
        assert set(stored) == set(self.acked)


class ResendWithNewTimeMachine(IngestMachine):
    new_time_on_resend = True


def _run(machine: type[IngestMachine], http: Any, **settings: Any) -> None:
    machine.http = http
    run_state_machine_as_test(
        machine, settings=fuzz_settings(10, stateful_step_count=6, **settings))


def test_acknowledged_events_are_stored_once_and_rejections_name_their_field(http: Any) -> None:
    _run(IngestMachine, http)


def test_an_event_resent_with_another_time_is_stored_once(http: Any) -> None:
    # no shrinking: each step is a few requests, and a failure here is one line to read
    _run(ResendWithNewTimeMachine, http, phases=[Phase.explicit, Phase.generate])

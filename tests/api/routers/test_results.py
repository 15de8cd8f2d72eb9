"""GET /v1/results: stored monitor results, filtered; NaN comes back as null."""

from __future__ import annotations

from fastapi.testclient import TestClient

from driftline.storage import ResultRecord, ResultStatus, Store
from tests.api.conftest import T0


def _result(monitor: str, start: float, p_value: float, subject: str = "x") -> ResultRecord:
    return ResultRecord(
        monitor_id=monitor,
        kind="drift",
        model="m1",
        window_start=start,
        window_end=start + 60,
        subject=subject,
        metric="ks",
        value=0.3,
        status=ResultStatus.ALERT if p_value < 0.05 else ResultStatus.OK,
        reference_start=T0 - 3600,
        reference_end=T0,
        p_value=p_value,
        threshold=0.05,
        n_reference=100,
        n_window=50,
        labels={"severity": "warning"},
        details={"note": "test"},
    )


def test_results(client: TestClient, store: Store) -> None:
    store.results.insert(
        [_result("a", T0, 0.01), _result("a", T0 + 60, 0.5), _result("b", T0, 0.2)]
    )
    rows = client.get("/v1/results", params={"model": "m1", "monitor_id": "a"}).json()["results"]
    assert [(r["window_start"], r["status"], r["p_value"]) for r in rows] == [
        (T0, "alert", 0.01),
        (T0 + 60, "ok", 0.5),
    ]
    first = rows[0]
    assert first["effect_size"] is None and first["lower"] is None  # NaN is not JSON
    assert (first["kind"], first["subject"], first["metric"], first["value"]) == (
        "drift", "x", "ks", 0.3)
    assert first["details"] == {"note": "test"} and first["labels"] == {"severity": "warning"}
    assert first["revision"] > 0
    later = client.get("/v1/results", params={"start": T0 + 30}).json()["results"]
    assert [(r["monitor_id"], r["window_start"]) for r in later] == [("a", T0 + 60)]
    assert len(client.get("/v1/results").json()["results"]) == 3


def test_results_filters(client: TestClient, store: Store) -> None:
    store.results.insert([_result("a", T0, 0.01), _result("a", T0, 0.01, subject="*")])
    store.results.insert([_result("b", T0, 0.5)])

    def monitors(**params: object) -> list[tuple[str, str]]:
        rows = client.get("/v1/results", params=params).json()["results"]
        return [(r["monitor_id"], r["subject"]) for r in rows]

    assert monitors(subject="*") == [("a", "*")]
    assert monitors(status="alert") == [("a", "*"), ("a", "x")]
    assert monitors(kind="drift", status="ok") == [("b", "x")]
    assert monitors(kind="performance") == []
    response = client.get("/v1/results", params={"status": "drifted"})
    assert (response.status_code, response.json()["field"]) == (422, "status")

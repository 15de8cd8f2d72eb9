"""Request and response bodies: envelopes validate only the envelope, the documented examples
are real inputs, and the response models carry every field of the domain types they mirror."""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic
import pytest

from driftline.api.schemas import (
    ClientReport,
    ErrorOut,
    EventsIn,
    IngestOut,
    LabelsIn,
    ModelOut,
    RejectionOut,
    ResultOut,
    SchemaChangeOut,
    SchemaVersionOut,
)
from driftline.ingest.events import Rejection
from driftline.ingest.writer import Ingestor
from driftline.storage import FeatureSchema, ModelInfo, ResultRecord, ResultStatus, Store


def _schema_of(field: str) -> dict[str, Any]:
    """The JSON schema the ``EventsIn`` field documents (its ``WithJsonSchema``)."""
    properties: dict[str, Any] = EventsIn.model_json_schema()["properties"]
    schema: dict[str, Any] = properties[field]
    return schema


def _fields(model: type[pydantic.BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_the_event_example_is_a_valid_event(store: Store) -> None:
    event_schema = _schema_of("events")["items"]
    example = event_schema["example"]
    assert set(example) <= set(event_schema["properties"])
    body = EventsIn.model_validate({"events": [example]})
    report = Ingestor(store).ingest_events(body.events or [])
    assert (report.accepted, report.rejected) == (1, [])
    [version] = store.events.schema_versions(example["model"])
    assert set(version.features) == set(example["features"])


def test_the_columns_example_is_a_valid_batch(store: Store) -> None:
    columns_schema = _schema_of("columns")
    example = columns_schema["example"]
    assert set(example) <= set(columns_schema["properties"])
    body = EventsIn.model_validate({"model": "late-arrival", "columns": example})
    assert body.columns is example  # kept as parsed, not copied
    report = Ingestor(store).ingest_columns("late-arrival", body.columns)
    assert (report.accepted, report.rejected) == (2, [])


def test_the_label_schema_requires_what_labels_need() -> None:
    label_schema = LabelsIn.model_json_schema()["properties"]["labels"]["items"]
    assert set(label_schema["required"]) == {"model", "event_id", "label"}


def test_envelopes_forbid_unknown_fields_and_name_them() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        EventsIn.model_validate({"events": [], "evnets": []})
    assert caught.value.errors()[0]["loc"] == ("evnets",)
    with pytest.raises(pydantic.ValidationError) as caught:
        LabelsIn.model_validate({"labels": [], "extra": 1})
    assert caught.value.errors()[0]["loc"] == ("extra",)
    with pytest.raises(pydantic.ValidationError) as caught:
        LabelsIn.model_validate({})
    assert caught.value.errors()[0]["loc"] == ("labels",)


def test_items_stay_raw_for_the_ingestor() -> None:
    body = EventsIn.model_validate({"events": [42, {"anything": True}, None]})
    assert body.events == [42, {"anything": True}, None]
    assert LabelsIn.model_validate({"labels": ["x"]}).labels == ["x"]


def test_events_in_documents_events_or_columns_with_model() -> None:
    schema = EventsIn.model_json_schema()
    assert schema["oneOf"] == [
        {"required": ["events"]},
        {"required": ["columns", "model"], "properties": {"model": {"type": "string"}}}]
    assert schema["additionalProperties"] is False
    with pytest.raises(pydantic.ValidationError) as caught:
        EventsIn.model_validate({"events": "not a list"})
    assert caught.value.errors()[0]["loc"] == ("events",)  # no union tag in the path


def test_client_report_bounds() -> None:
    report = ClientReport.model_validate({"id": "pod-1", "dropped": {"queue_full": 2},
                                          "version": "ignored"})
    assert (report.id, report.dropped) == ("pod-1", {"queue_full": 2})
    assert ClientReport(id="p").dropped == {}
    bad: list[tuple[dict[str, Any], tuple[str | int, ...]]] = [
        ({"id": "x" * 129}, ("id",)),
        ({"id": "p", "dropped": {"queue_full": -1}}, ("dropped", "queue_full")),
        ({"id": "p", "dropped": {"r" * 65: 1}}, ("dropped", "r" * 65, "[key]")),
        ({"id": "p", "dropped": {f"r{i}": 1 for i in range(33)}}, ("dropped",)),
    ]
    for data, loc in bad:
        with pytest.raises(pydantic.ValidationError) as caught:
            ClientReport.model_validate(data)
        assert caught.value.errors()[0]["loc"] == loc, data
    ClientReport.model_validate({"id": "x" * 128, "dropped": {f"r{i}": 0 for i in range(32)}})


def test_error_out_is_the_shape_every_error_has() -> None:
    assert ErrorOut(error="e").model_dump() == {"error": "e", "field": None, "index": None,
                                                "request_id": None}


def test_ingest_out_carries_an_ingest_report() -> None:
    rejection = Rejection(index=3, field="features.x", reason="bad", event_id="e3")
    assert _fields(RejectionOut) == {f.name for f in dataclasses.fields(Rejection)}
    assert RejectionOut.model_validate(rejection.as_dict()).model_dump() == rejection.as_dict()
    change = FeatureSchema("m", 2, {}, added=("x",))
    body = {"accepted": 1, "duplicates": 0, "rejected": [rejection.as_dict()],
            "schema_changes": [{"model": change.model, "version": change.version,
                                "added": list(change.added), "removed": list(change.removed)}]}
    assert IngestOut.model_validate(body).model_dump() == body
    assert _fields(SchemaChangeOut) == {"model", "version", "added", "removed"}


def test_response_models_mirror_the_domain_types() -> None:
    assert _fields(ModelOut) == {f.name for f in dataclasses.fields(ModelInfo)}
    schema_fields = {f.name for f in dataclasses.fields(FeatureSchema)}
    assert _fields(SchemaVersionOut) == schema_fields - {"model"}
    assert _fields(ResultOut) == {f.name for f in dataclasses.fields(ResultRecord)}


def test_result_out_takes_null_for_nan_fields() -> None:
    record = ResultRecord("mon", "drift", "m", 0.0, 60.0, "x", "ks", 0.3, ResultStatus.OK)
    body = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    body["status"] = str(record.status)
    nullable = ["value", "threshold", "lower", "upper", "p_value", "effect_size"]
    out = ResultOut.model_validate({**body, **dict.fromkeys(nullable)})
    assert all(getattr(out, name) is None for name in nullable)
    with pytest.raises(pydantic.ValidationError) as caught:
        ResultOut.model_validate({**body, "n_window": None})
    assert caught.value.errors()[0]["loc"] == ("n_window",)

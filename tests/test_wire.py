"""The binary columnar wire format: what the SDK encodes, the service decodes."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from driftline.errors import ValidationError
from driftline.wire import BINARY_MAGIC, decode_binary, encode_binary


def test_round_trip_keeps_numbers_strings_and_missing_values() -> None:
    columns = {"event_id": ["a", "b", "c"], "timestamp": [1.7e9, 1.7e9 + 1, 1.7e9 + 2],
               "model_version": "v1", "prediction": ["late", None, "ok"],
               "features": {"x": [1.5, None, 3], "c": ["u", None, "v"]}}
    body = encode_binary("m", columns, {"sdk": "test"}, orjson.dumps)
    assert body.startswith(BINARY_MAGIC)
    out = decode_binary(body)
    assert out["model"] == "m" and out["client"] == {"sdk": "test"} and "n" not in out
    decoded = out["columns"]
    assert decoded["event_id"] == ["a", "b", "c"] and decoded["model_version"] == "v1"
    assert decoded["prediction"] == ["late", None, "ok"]  # classes stay JSON
    np.testing.assert_array_equal(decoded["timestamp"], columns["timestamp"])
    x = decoded["features"]["x"]
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and not x.flags.writeable
    assert x[0] == 1.5 and math.isnan(x[1]) and x[2] == 3.0
    assert decoded["features"]["c"] == ["u", None, "v"]


def test_an_empty_batch_round_trips() -> None:
    out = decode_binary(encode_binary("m", {"event_id": [], "features": {}}, {}, orjson.dumps))
    assert out["columns"] == {"event_id": [], "features": {}}


@pytest.mark.parametrize("body", [
    b"JSON{}",
    BINARY_MAGIC + (3).to_bytes(4, "little") + b"{x}",
    BINARY_MAGIC + (2).to_bytes(4, "little") + b"{}",
])
def test_malformed_bodies_are_validation_errors(body: bytes) -> None:
    with pytest.raises(ValidationError):
        decode_binary(body)


def test_truncated_buffers_are_a_validation_error() -> None:
    body = encode_binary("m", {"event_id": ["a", "b"], "features": {"x": [1.0, 2.0]}}, {},
                         orjson.dumps)
    with pytest.raises(ValidationError, match="whole columns"):
        decode_binary(body[:-8])

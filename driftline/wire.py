"""The binary columnar wire format of ``POST /v1/events``: the encoder beside the decoder.

A body is ``MAGIC | uint32 LE header length | header JSON | padding to 8 | float64 LE
buffers``. The header is the JSON envelope (``model``, ``n``, ``columns``, ``client``) in
which a numeric column is replaced by ``{"f64": k}``, the k-th buffer of ``n`` doubles; None
travels as NaN, which every numeric column reads as "missing". Strings, classes and anything
else stay JSON. Against the JSON envelope it saves the float formatting on the client and the
float parsing on the service (about 2.5 µs per event of 20 features).

Standard library only at import: the SDK encodes without numpy; ``decode_binary`` (the
service side) imports numpy and orjson when called.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from typing import Any

from driftline.errors import ValidationError

__all__ = ["BINARY_CONTENT_TYPE", "BINARY_MAGIC", "decode_binary", "encode_binary"]

BINARY_MAGIC = b"DLC1"
BINARY_CONTENT_TYPE = "application/vnd.driftline.columns"
_NUMERIC_KEYS = ("timestamp", "prediction", "latency_ms")
_NAN = float("nan")
_HEAD = len(BINARY_MAGIC) + 4


def encode_binary(model: str, columns: Mapping[str, Any], client: Mapping[str, Any],
                  dumps: Callable[[Any], bytes]) -> bytes:
    """The binary body of one model's ``columns`` (lists, as the SDK's ``to_columns`` gives
    them); ``dumps`` serializes the header (``orjson.dumps`` or the SDK's)."""
    buffers: list[array[float]] = []

    def pack(values: Any) -> Any:
        try:
            buffer = array("d", values)
        except TypeError:
            if not all(v is None or type(v) in (float, int) for v in values):
                return values  # strings, classes, probabilities: JSON
            buffer = array("d", [_NAN if v is None else v for v in values])
        buffers.append(buffer)
        return {"f64": len(buffers) - 1}

    header_columns = {k: (pack(v) if k in _NUMERIC_KEYS and isinstance(v, list) else v)
                      for k, v in columns.items() if k != "features"}
    header_columns["features"] = {name: pack(values)
                                  for name, values in columns.get("features", {}).items()}
    n = len(columns.get("event_id", ()))
    header = dumps({"model": model, "n": n, "columns": header_columns, "client": client})
    padding = b"\0" * (-(_HEAD + len(header)) % 8)
    return b"".join([BINARY_MAGIC, len(header).to_bytes(4, "little"), header, padding,
                     *(b.tobytes() for b in buffers)])


def decode_binary(raw: bytes) -> dict[str, Any]:
    """The envelope of a binary body (``model``, ``columns``, ``client``), each numeric column
    a read-only float64 array over the body (no copy); ``ValidationError`` when malformed."""
    import numpy as np
    import orjson

    head = _HEAD
    if raw[: len(BINARY_MAGIC)] != BINARY_MAGIC or len(raw) < head:
        raise ValidationError(f"a binary columnar body starts with {BINARY_MAGIC!r}", field="")
    size = int.from_bytes(raw[len(BINARY_MAGIC):head], "little")
    try:
        envelope = orjson.loads(raw[head:head + size])
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"the binary body's header is not valid JSON: {exc}",
                              field="") from None
    n = envelope.get("n") if isinstance(envelope, dict) else None
    columns = envelope.get("columns") if isinstance(envelope, dict) else None
    if not isinstance(n, int) or n < 0 or not isinstance(columns, dict):
        raise ValidationError("the binary body's header needs `n` and `columns`", field="")
    start = head + size + (-(head + size) % 8)
    n_buffers = (len(raw) - start) // 8 // n if n else 0
    if n and (len(raw) - start) != n_buffers * n * 8:
        raise ValidationError(f"the binary body's buffers are not whole columns of {n} doubles",
                              field="")

    def unpack(key: str, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"f64"}:
            k = value["f64"]
            if not isinstance(k, int) or not 0 <= k < n_buffers:
                raise ValidationError(f"buffer {k!r} is not in the body ({n_buffers} buffers)",
                                      field=f"columns.{key}")
            return np.frombuffer(raw, dtype="<f8", count=n, offset=start + k * n * 8)
        return value

    features = columns.get("features", {})
    if isinstance(features, dict):
        columns["features"] = {name: unpack(f"features.{name}", v) for name, v in features.items()}
    for key in list(columns):
        if key != "features":
            columns[key] = unpack(key, columns[key])
    del envelope["n"]
    out: dict[str, Any] = envelope
    return out

"""Monitors from a TOML file (``DRIFTLINE_MONITORS``), run by ``driftline serve``'s scheduler::

    [[monitor]]
    id = "fraud-ks"
    model = "fraud"
    kind = "drift"                   # the monitor kind (default drift); its own keys follow
    test = "ks"                      # drift: any detector name: ks, cvm, chi2, psi, mmd, ...
    features = ["amount", "age"]     # optional: default every feature the test can take
    window = "1h"                    # tumbling; or { kind = "sliding", size = "1h", step = "10m" }
                                     # (origin = ISO time: where windows align; default
                                     # midnight UTC, Monday 00:00 UTC for a week or longer)
    reference = "trailing:1d"        # training | seasonal | trailing:SIZE | fixed:START,END
    start = "2026-01-01T00:00:00Z"   # optional: first window begins at or after it
                                     # (default: the window of the model's first event)
    settings = { alpha = 0.01 }      # the detector's own settings
    max_rows = 200000                # rows read per window (deterministic sample beyond)

Every key besides ``id``, ``model``, ``kind``, ``features``, ``window``, ``reference`` and
``start`` belongs to the kind and is validated by the kind's settings model. Errors name the monitor
and the key: ``monitor[2].window: expected a duration like 30m``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftline.engine.kinds import get_kind
from driftline.engine.monitor import Monitor
from driftline.engine.windows import ReferenceSpec, WindowSpec, default_origin
from driftline.errors import ConfigurationError, ValidationError
from driftline.ingest.validation import MODEL_NAME_RULE, is_model_name, parse_timestamp

__all__ = ["COMMON_KEYS", "load_monitors", "parse_duration", "parse_monitor", "parse_reference",
           "parse_time"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
#: the keys every monitor has; the others are the kind's settings
COMMON_KEYS = ("id", "model", "kind", "features", "window", "reference", "start")


def parse_duration(text: object, where: str = "duration") -> float:
    """Seconds from ``30s``, ``15m``, ``6h``, ``1d``, ``2w`` or a number of seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool) and text > 0:
        return float(text)
    if isinstance(text, str) and len(text) > 1 and text[-1] in _UNITS:
        try:
            value = float(text[:-1])
        except ValueError:
            value = -1.0
        if value > 0:
            return value * _UNITS[text[-1]]
    raise ConfigurationError(f"{where}: expected a duration like 30m, 6h, 1d or 1w, got {text!r}")


def parse_reference(text: object, where: str = "reference") -> ReferenceSpec:
    if not isinstance(text, str):
        raise ConfigurationError(f"{where}: expected a string, got {text!r}")
    kind, _, value = text.partition(":")
    if kind == "trailing":
        return ReferenceSpec.trailing(parse_duration(value or "1w", where))
    if kind == "seasonal":
        return ReferenceSpec.seasonal(parse_duration(value, where) if value else 604800.0)
    if kind == "training":
        return ReferenceSpec.training(value or "training")
    if kind == "fixed":
        lo, _, hi = value.partition(",")
        return ReferenceSpec.fixed(parse_time(lo, where), parse_time(hi, where))
    raise ConfigurationError(f"{where}: expected training, seasonal, trailing:SIZE or "
                             f"fixed:START,END, got {text!r}")


def parse_time(value: object, where: str = "time") -> float:
    """Epoch seconds from an ISO-8601 string or a number; a ConfigurationError otherwise."""
    if value in (None, ""):
        raise ConfigurationError(f"{where}: a time is required")
    try:
        return parse_timestamp(value)
    except ValidationError as exc:
        raise ConfigurationError(f"{where}: {exc.message}") from None


def _window(value: object, where: str) -> WindowSpec:
    if isinstance(value, Mapping):
        kind = value.get("kind", "tumbling")
        size = parse_duration(value.get("size"), f"{where}.size")
        if kind == "cumulative":
            origin = parse_time(value.get("origin"), f"{where}.origin")
            return WindowSpec.cumulative(size, origin=origin)
        origin = (parse_time(value["origin"], f"{where}.origin") if "origin" in value
                  else default_origin(size))
        if kind == "sliding":
            return WindowSpec.sliding(size, parse_duration(value.get("step"), f"{where}.step"),
                                      origin)
        if kind != "tumbling":
            raise ConfigurationError(f"{where}.kind: expected tumbling, sliding or cumulative")
        return WindowSpec.tumbling(size, origin)
    size = parse_duration(value, where)
    return WindowSpec.tumbling(size, default_origin(size))


def parse_monitor(raw: Mapping[str, Any], where: str = "monitor") -> Monitor:
    for key in ("id", "model"):
        if not isinstance(raw.get(key), str):
            raise ConfigurationError(f"{where}.{key}: required string")
    if not is_model_name(raw["model"]):
        raise ConfigurationError(f"{where}.model: expected a model name of {MODEL_NAME_RULE},"
                                 f" got {raw['model']!r}")
    start = parse_time(raw["start"], f"{where}.start") if "start" in raw else None
    features = raw.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ConfigurationError(f"{where}.features: expected a list of feature names")
    kind_name = raw.get("kind", "drift")
    if not isinstance(kind_name, str):
        raise ConfigurationError(f"{where}.kind: expected a string")
    try:
        kind = get_kind(kind_name)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}.kind: {exc}") from None
    settings = kind.parse_settings({k: v for k, v in raw.items() if k not in COMMON_KEYS},
                                   where)
    try:
        window = _window(raw.get("window", "1h"), f"{where}.window")
        reference = parse_reference(raw.get("reference", "trailing:1w"), f"{where}.reference")
        return Monitor(raw["id"], raw["model"], kind_name, settings, window, reference,
                       tuple(features), start)
    except ConfigurationError as exc:  # one prefix: the monitor, then the key when known
        message = str(exc)
        raise ConfigurationError(message if message.startswith(where)
                                 else f"{where}: {message}") from None


def load_monitors(path: str | Path) -> list[Monitor]:
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"monitors file {path}: {exc}") from None
    entries = data.get("monitor", [])
    if not isinstance(entries, list):
        raise ConfigurationError(f"monitors file {path}: expected [[monitor]] tables")
    monitors = [parse_monitor(m, f"monitor[{i}]") for i, m in enumerate(entries)]
    ids = [m.id for m in monitors]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigurationError(f"monitors file {path}: duplicate ids {duplicated}")
    return monitors

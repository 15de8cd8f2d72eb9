"""The validation rules of driftline, written once: names, timestamps and feature kinds.

Standard library only at import (the SDK uses these rules too); ``column_kind`` looks at a
numpy array's ``dtype`` without importing numpy. Every check raises
``driftline.errors.ValidationError`` with ``field`` set; the ``is_*`` predicates never raise.

Names match whole: the patterns are anchored with ``\\A`` and ``\\Z`` (``$`` would accept a
trailing newline), so ``PATTERN.match`` and ``PATTERN.fullmatch`` agree.

Feature kinds: a number (``bool`` included, as 0/1) is ``numeric``, a string
``categorical``, ``None`` and NaN are missing (no kind). A column takes the kind of its
values: numeric when every present value is a number, categorical when every one is a
string, and otherwise the kind of its first present value (the row path's rule).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Real

from driftline.errors import ValidationError
from driftline.feature_kinds import FeatureKind, column_kind, value_kind

__all__ = [
    "FEATURE_NAME",
    "FEATURE_NAME_PATTERN",
    "FEATURE_NAME_RULE",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "MODEL_NAME",
    "MODEL_NAME_PATTERN",
    "MODEL_NAME_RULE",
    "RESERVED",
    "TAG_NAME",
    "TAG_NAME_PATTERN",
    "TAG_NAME_RULE",
    "FeatureKind",
    "TimeBounds",
    "check_feature_name",
    "check_model_name",
    "check_tag_name",
    "column_kind",
    "is_feature_name",
    "is_model_name",
    "parse_timestamp",
    "value_kind",
]


#: columns every events table has; a feature may not be called like one of them
RESERVED = ("event_id", "ts", "model_version", "prediction", "prediction_label",
            "prediction_probs", "latency_ms", "tags", "schema_version")

#: the rules as JSON Schema patterns (for the OpenAPI schema): there ``$`` is the end of the
#: text, so each says what the ``\A...\Z`` pattern below it says
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
MODEL_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_\-]{0,63}\Z")
MODEL_NAME_RULE = "1-64 letters, digits, '_' or '-', starting with a letter or digit"
FEATURE_NAME_PATTERN = rf"^(?!(?:{'|'.join(RESERVED)})$)[A-Za-z_][A-Za-z0-9_]{{0,127}}$"
FEATURE_NAME = re.compile(rf"\A(?!(?:{'|'.join(RESERVED)})\Z)[A-Za-z_][A-Za-z0-9_]{{0,127}}\Z")
FEATURE_NAME_RULE = ("1-128 letters, digits or '_', not starting with a digit, and none of "
                     + ", ".join(RESERVED))
TAG_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
TAG_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
TAG_NAME_RULE = "1-128 letters, digits or '_', not starting with a digit"

#: timestamps before this are almost certainly milliseconds or garbage (2000-01-01)
MIN_TIMESTAMP = 946_684_800.0
#: and after this (2100-01-01)
MAX_TIMESTAMP = 4_102_444_800.0


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far from now an event's time may be, on top of the absolute 2000..2100 bounds:
    at most ``retention_s`` seconds in the past, ``clock_skew_s`` in the future (``None``:
    no bound on that side). The service applies them (``Settings.time_bounds``); a library
    ``Ingestor`` loading history has none."""

    retention_s: float | None = None
    clock_skew_s: float | None = None

    def limits(self, now: float) -> tuple[float, float]:
        """The accepted times ``[low, high]`` at ``now``."""
        low = -math.inf if self.retention_s is None else now - self.retention_s
        high = math.inf if self.clock_skew_s is None else now + self.clock_skew_s
        return low, high

    def reason(self, ts: float, now: float) -> str | None:
        """Why an event at ``ts`` is refused at ``now``, or None when it is accepted."""
        stamp = datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
        if self.retention_s is not None and ts < now - self.retention_s:
            return (f"timestamp {stamp} is older than the retention horizon of "
                    f"{self.retention_s / 86400:g} days (DRIFTLINE_RETENTION_S)")
        if self.clock_skew_s is not None and ts > now + self.clock_skew_s:
            return (f"timestamp {stamp} is more than {self.clock_skew_s:g} s in the future "
                    "(clock skew allowance DRIFTLINE_CLOCK_SKEW_S)")
        return None


def is_model_name(name: object) -> bool:
    return isinstance(name, str) and MODEL_NAME.fullmatch(name) is not None


def is_feature_name(name: object) -> bool:
    return isinstance(name, str) and FEATURE_NAME.fullmatch(name) is not None


def check_model_name(name: object, field: str = "model") -> str:
    """``name`` if it is a valid model name, else ``ValidationError``."""
    if not is_model_name(name):
        raise ValidationError(f"expected a model name of {MODEL_NAME_RULE}, got {name!r}",
                              field=field)
    return name  # type: ignore[return-value]  # is_model_name checked it is a str


def check_feature_name(name: object, field: str = "features") -> str:
    """``name`` if it is a valid feature name, else ``ValidationError``."""
    if not is_feature_name(name):
        raise ValidationError(f"feature name {name!r} must be {FEATURE_NAME_RULE}", field=field)
    return name  # type: ignore[return-value]


def check_tag_name(name: object, field: str = "tags") -> str:
    """``name`` if it is a valid tag name, else ``ValidationError``."""
    if not isinstance(name, str) or TAG_NAME.fullmatch(name) is None:
        raise ValidationError(f"tag name {name!r} must be {TAG_NAME_RULE}", field=field)
    return name


def parse_timestamp(value: object, field: str = "timestamp", now: float | None = None) -> float:
    """Epoch seconds (UTC) from None (now), a number of epoch seconds, a datetime (naive =
    UTC) or an ISO-8601 string; ``ValidationError`` outside 2000-01-01..2100-01-01."""
    if value is None:
        return time.time() if now is None else now
    if isinstance(value, bool):
        raise ValidationError(f"expected epoch seconds or an ISO-8601 string, got {value!r}",
                              field=field)
    if isinstance(value, Real):
        ts = float(value)
    elif isinstance(value, datetime):
        ts = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"expected an ISO-8601 timestamp, got {value!r}",
                                  field=field) from None
        ts = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    else:
        raise ValidationError(f"expected epoch seconds or an ISO-8601 string, got {value!r}",
                              field=field)
    if not math.isfinite(ts) or not MIN_TIMESTAMP <= ts < MAX_TIMESTAMP:
        raise ValidationError(f"timestamp {value!r} is outside 2000-01-01..2100-01-01 "
                              "(epoch seconds expected, not milliseconds)", field=field)
    return ts

"""Names of models and features (standard library only: the SDK imports this too)."""

from __future__ import annotations

import re

__all__ = ["FEATURE_NAME", "FEATURE_NAME_RULE", "MODEL_NAME", "MODEL_NAME_RULE", "RESERVED"]

#: columns every events table has; a feature may not be called like one of them
RESERVED = ("event_id", "ts", "model_version", "prediction", "prediction_label",
            "prediction_probs", "latency_ms", "tags", "schema_version")

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
MODEL_NAME_RULE = "1-64 letters, digits, '_' or '-', starting with a letter or digit"
FEATURE_NAME = re.compile(rf"^(?!(?:{'|'.join(RESERVED)})$)[A-Za-z_][A-Za-z0-9_]{{0,127}}$")
FEATURE_NAME_RULE = ("1-128 letters, digits or '_', not starting with a digit, and none of "
                     + ", ".join(RESERVED))

"""Feature validation: rules (a readable line each, or a table), compiled into one ClickHouse
aggregate per window, and suggested from a reference.

``driftline.engine.kinds.validation`` runs them as the ``validation`` monitor kind.
"""

from __future__ import annotations

from driftline.validation.rules import (
    Compare,
    InSet,
    Kind,
    Length,
    NullRate,
    Range,
    Regex,
    Rule,
    Statistic,
    parse_rule,
    parse_rules,
)
from driftline.validation.sql import Outcome, compile_rules, read_outcomes
from driftline.validation.suggest import rules_toml, suggest_rules

__all__ = ["Compare", "InSet", "Kind", "Length", "NullRate", "Outcome", "Range", "Regex", "Rule",
           "Statistic", "compile_rules", "parse_rule", "parse_rules", "read_outcomes",
           "rules_toml", "suggest_rules"]

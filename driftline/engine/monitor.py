"""A monitor: which model, which features, which test, over which windows, against what."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.engine.windows import ReferenceSpec, WindowSpec
from driftline.errors import ConfigurationError
from driftline.ingest.events import FeatureKind

__all__ = ["Monitor", "kinds_for_test"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")

#: the feature kinds each test can take; a test not listed takes both (encoded if needed)
_TEST_KINDS: dict[str, frozenset[FeatureKind]] = {
    "ks": frozenset({FeatureKind.NUMERIC}),
    "cvm": frozenset({FeatureKind.NUMERIC}),
    "wasserstein": frozenset({FeatureKind.NUMERIC}),
    "chi2": frozenset({FeatureKind.CATEGORICAL}),
}
#: tests that see all features at once and so read a bounded sample, not whole columns
MULTIVARIATE_TESTS = frozenset({"mmd", "lsdd"})


def kinds_for_test(test: str) -> frozenset[FeatureKind]:
    return _TEST_KINDS.get(test, frozenset(FeatureKind))


@dataclass(frozen=True, slots=True)
class Monitor:
    """``features=()`` means every feature of the model's current schema the test can take.

    ``max_rows`` bounds the rows read per window and per reference: larger windows are read as
    a deterministic sample (same window -> same rows), so memory stays bounded.
    """

    id: str
    model: str
    test: str = "ks"
    window: WindowSpec = field(default_factory=WindowSpec)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec.training)
    features: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    max_rows: int = 200_000
    sample_seed: int = 0

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ConfigurationError(f"monitor id {self.id!r} must match {_ID.pattern}")
        if self.max_rows < 1:
            raise ConfigurationError(f"monitor {self.id!r}: max_rows must be >= 1")

    @property
    def multivariate(self) -> bool:
        return self.test in MULTIVARIATE_TESTS

    def row_limit(self) -> int:
        """Multivariate tests cost O(n^2): read at most their own cap."""
        if self.multivariate:
            return min(self.max_rows, int(self.settings.get("max_samples", 5_000)))
        return self.max_rows

"""Every registered detector declares its capabilities; registration refuses half-wired ones."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from driftline.detector import (
    BatchDetector,
    BinnedCountScorer,
    Capabilities,
    Chi2Detector,
    CountScorer,
    DriftResult,
    Frame,
    InputKind,
    as_count_scorer,
    available_detectors,
    detector_capabilities,
    get_detector,
    register_detector,
)
from driftline.detector._base import _REGISTRY
from driftline.errors import ConfigurationError
from driftline.ingest.events import FeatureKind

_TORCH = importlib.util.find_spec("torch") is not None
_NAMES = [*available_detectors(), pytest.param(
    "mmd_torch", marks=pytest.mark.skipif(not _TORCH, reason="torch is not installed"))]

NUMERIC: frozenset[InputKind] = frozenset({"numeric"})
BOTH: frozenset[InputKind] = frozenset({"numeric", "categorical"})
EXPECTED = {
    "ks": (NUMERIC, False, False), "cvm": (NUMERIC, False, False),
    "wasserstein": (NUMERIC, False, False),
    "chi2": (frozenset({"categorical"}), False, True),
    "psi": (BOTH, False, True), "jensen_shannon": (BOTH, False, True),
    "hellinger": (BOTH, False, True), "linf": (BOTH, False, True),
    "mmd": (BOTH, True, False), "lsdd": (BOTH, True, False), "mmd_torch": (BOTH, True, False),
    "auto": (BOTH, False, False), "classifier": (BOTH, True, False),
}


@pytest.fixture(params=_NAMES)
def name(request: pytest.FixtureRequest) -> str:
    if request.param == "mmd_torch":
        importlib.import_module("driftline.accel.torch_mmd")
    return str(request.param)


def test_the_registry_holds_exactly_the_expected_detectors() -> None:
    assert set(available_detectors()) - {"mmd_torch"} == set(EXPECTED) - {"mmd_torch"}


def test_every_detector_declares_its_capabilities(name: str) -> None:
    caps = detector_capabilities(name)
    assert isinstance(caps, Capabilities)
    assert (caps.input_kinds, caps.multivariate, caps.scores_from_counts) == EXPECTED[name]


def test_scores_from_counts_iff_the_detector_is_a_count_scorer(name: str) -> None:
    caps = detector_capabilities(name)
    detector = get_detector(name)
    assert (as_count_scorer(detector) is not None) == caps.scores_from_counts
    numeric_counts = caps.scores_from_counts and caps.takes("numeric")
    assert isinstance(detector, BinnedCountScorer) == numeric_counts


def test_sample_cap_has_one_default_the_instance_max_samples(name: str) -> None:
    caps = detector_capabilities(name)
    detector = get_detector(name)
    assert detector.sample_cap == caps.sample_cap
    assert (caps.sample_cap is not None) == caps.multivariate
    if caps.multivariate:
        assert get_detector(name, max_samples=300).sample_cap == 300


def test_input_kinds_are_feature_kinds() -> None:
    assert FeatureKind.NUMERIC in detector_capabilities("ks").input_kinds
    assert FeatureKind.CATEGORICAL not in detector_capabilities("ks").input_kinds
    assert detector_capabilities("chi2").takes(FeatureKind.CATEGORICAL)
    assert {str(k) for k in FeatureKind} == set(BOTH)


def test_chi2_has_no_bin_edges_and_says_whether_missing_is_counted() -> None:
    detector = Chi2Detector(count_missing=True).fit({"c": np.array(["a", "b", None] * 20)})
    assert not hasattr(detector, "bin_edges")
    scorer = as_count_scorer(detector)
    assert scorer is not None and not isinstance(scorer, BinnedCountScorer)
    assert scorer.counts_missing
    assert scorer.categories == {"c": ("__missing__", "a", "b")}
    assert not as_count_scorer(Chi2Detector()).counts_missing  # type: ignore[union-attr]


def test_a_binned_scorer_gives_edges_and_categories() -> None:
    rng = np.random.default_rng(0)
    detector = get_detector("psi").fit({"x": rng.normal(size=200),
                                        "c": np.array(["u", "v"] * 100, dtype=object)})
    scorer = as_count_scorer(detector)
    assert isinstance(scorer, BinnedCountScorer)
    assert list(scorer.bin_edges) == ["x"] and scorer.bin_edges["x"].size == 9
    assert scorer.categories == {"c": ("u", "v")}
    assert not scorer.counts_missing


class _Plain(BatchDetector):
    def fit(self, reference: Frame) -> _Plain:
        return self

    def score(self, window: Frame) -> DriftResult:
        raise NotImplementedError

    @property
    def features(self) -> tuple[str, ...]:
        return ()


def test_registering_without_capabilities_fails() -> None:
    with pytest.raises(ConfigurationError, match="must declare `capabilities"):
        register_detector("undeclared")(_Plain)
    assert "undeclared" not in _REGISTRY


def test_claiming_counts_without_the_protocol_fails() -> None:
    class Claims(_Plain):
        capabilities: ClassVar[Capabilities] = Capabilities(NUMERIC, scores_from_counts=True)

    with pytest.raises(ConfigurationError, match="does not implement CountScorer"):
        register_detector("claims")(Claims)


def test_implementing_counts_without_declaring_them_fails() -> None:
    class Silent(_Plain, CountScorer):
        capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"categorical"}))
        categories: Mapping[str, tuple[str, ...]] = {}
        counts_missing = False

        def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
            raise NotImplementedError

    with pytest.raises(ConfigurationError, match="implements CountScorer"):
        register_detector("silent")(Silent)


@pytest.mark.parametrize("caps", [
    Capabilities(frozenset()),
    Capabilities(frozenset({"text"})),  # type: ignore[arg-type]
    Capabilities(NUMERIC, sample_cap=100),  # a sample cap on a per-feature test
])
def test_inconsistent_declarations_fail(caps: Capabilities) -> None:
    cls = type("Odd", (_Plain,), {"capabilities": caps})
    with pytest.raises(ConfigurationError):
        register_detector("odd")(cls)

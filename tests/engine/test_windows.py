from __future__ import annotations

import pytest

from driftline.engine.windows import WEEK_S, ReferenceSpec, Span, WindowSpec
from driftline.errors import ConfigurationError


def test_tumbling_windows_are_aligned_and_complete() -> None:
    spans = list(WindowSpec.tumbling(10, origin=0).spans(5, 42))
    assert spans == [Span(0, 10), Span(10, 20), Span(20, 30), Span(30, 40)]


def test_tumbling_starts_after_the_last_evaluated_end() -> None:
    assert list(WindowSpec.tumbling(10).spans(20, 40)) == [Span(20, 30), Span(30, 40)]


def test_sliding_windows_overlap() -> None:
    spans = list(WindowSpec.sliding(20, 10, origin=0).spans(0, 50))
    assert spans == [Span(0, 20), Span(10, 30), Span(20, 40), Span(30, 50)]


def test_cumulative_windows_grow_from_the_origin() -> None:
    spans = list(WindowSpec.cumulative(10, origin=100).spans(100, 130))
    assert spans == [Span(100, 110), Span(100, 120), Span(100, 130)]


def test_references() -> None:
    window = Span(1000, 1100)
    assert ReferenceSpec.fixed(0, 500).span_for(window) == Span(0, 500)
    assert ReferenceSpec.trailing(300, gap_s=50).span_for(window) == Span(650, 950)
    seasonal = ReferenceSpec.seasonal().span_for(Span(WEEK_S + 10, WEEK_S + 20))
    assert seasonal == Span(10, 20)
    assert ReferenceSpec.training().span_for(window) is None
    assert ReferenceSpec.fixed(0, 1).is_static and not ReferenceSpec.trailing(5).is_static


@pytest.mark.parametrize(
    "make",
    [lambda: WindowSpec("tumbling", 0), lambda: WindowSpec("weird", 10),  # type: ignore[arg-type]
     lambda: ReferenceSpec("fixed", 10, 5), lambda: ReferenceSpec("trailing")],
)
def test_bad_specs_are_configuration_errors(make: object) -> None:
    with pytest.raises(ConfigurationError):
        make()  # type: ignore[operator]


def test_cumulative_windows_never_end_before_the_origin() -> None:
    spans = list(WindowSpec.cumulative(10, origin=100).spans(50, 120))
    assert spans == [Span(100, 110), Span(100, 120)]

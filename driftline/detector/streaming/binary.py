"""Detectors for a binary error stream (1: the model was wrong, 0: right), wrapping river's
``river.drift.binary`` DDM, EDDM, HDDM_A and HDDM_W with settings calibrated to a run length.

The input is the classification error stream: 0/1 (ints or floats) or bools, one per labelled
prediction; anything else is refused with a ``ValidationError`` naming its index. The values
are rates already, so nothing is standardized; every test here watches for an INCREASE of the
error rate (HDDM can also watch decreases, ``two_sided_test=True``).

Calibration (seeded simulations; the slow test in ``tests/detector/streaming/test_binary.py``
rechecks p = 0.1): the defaults keep the mean run length between false alarms (ARL: the mean
number of values from a start, or the restart after an alarm, to a false alarm) above 10,000
on a stationary Bernoulli(p) stream for p from 0.01 to 0.5. River's defaults do not: EDDM
alarms about every 1,500 values at p = 0.1, DDM about every 5,000 at p = 0.01 and within its
first 2,000 values on 43% of the streams at p = 0.1, HDDM_W every 1,200 values at p = 0.5.
The alarms of DDM and EDDM come mostly soon after their warm start (their reference statistic
is the best value seen, a noisy minimum or maximum early on); each class states the share.
Each class states its ARL and its delay after a jump of the error rate from 0.1 to 0.3.

    detector = get_streaming_detector("hddm_a")
    for wrong in (prediction != label for prediction, label in labelled):
        if detector.update(wrong).drift_detected:
            ...
"""

from __future__ import annotations

import abc
import numbers
from typing import Any, ClassVar, Self

import numpy as np
from river.drift import binary

from driftline.detector.streaming._base import StreamingDetector
from driftline.errors import ConfigurationError, ValidationError

__all__ = ["DDM", "EDDM", "HDDMA", "HDDMW", "BinaryDetector"]


class BinaryDetector(StreamingDetector):
    """A river binary drift detector behind our contract: 0/1 or bool in, ``drift_detected``
    and ``warning_detected`` out. After an alarm the next ``update`` starts over."""

    def __init__(self) -> None:
        super().__init__()
        self._river = self._build()

    @abc.abstractmethod
    def _build(self) -> Any:
        """A fresh river detector with this detector's settings."""

    def update(self, x: Any) -> Self:
        self._river.update(self._accept_bit(x))
        return self

    @property
    def drift_detected(self) -> bool:
        return bool(self._river.drift_detected)

    @property
    def warning_detected(self) -> bool:
        """Whether the latest ``update`` put the detector in its warning zone."""
        return bool(self._river.warning_detected)

    def reset(self) -> Self:
        super().reset()
        self._river = self._build()
        return self

    def _accept_bit(self, x: object) -> int:
        if isinstance(x, bool | np.bool_ | numbers.Real) and x in (0, 1):
            bit = 1 if x else 0
        else:
            raise ValidationError(
                f"{type(self).__name__}.update needs 0/1 or a bool (1: an error), got {x!r}",
                field="x",
                index=self._n_seen,
            )
        self._n_seen += 1
        return bit


def _check_warm_start(warm_start: int) -> None:
    if isinstance(warm_start, bool) or not isinstance(warm_start, int) or warm_start < 1:
        raise ConfigurationError(f"warm_start must be an int >= 1, got {warm_start!r}")


def _check_confidences(drift_confidence: float, warning_confidence: float) -> None:
    if not 0.0 < drift_confidence <= warning_confidence < 1.0:
        raise ConfigurationError(
            "need 0 < drift_confidence <= warning_confidence < 1, got "
            f"drift_confidence={drift_confidence!r}, warning_confidence={warning_confidence!r}"
        )


class DDM(BinaryDetector):
    """Drift Detection Method (Gama et al., 2004): the error rate since the last alarm against
    its best value so far.

    With ``p`` the error rate and ``s = sqrt(p (1 - p) / n)``, drift is signalled when
    ``p + s > p_min + drift_threshold * s_min`` (warning at ``warning_threshold``), where
    ``p_min + s_min`` is the smallest ``p + s`` seen.

    Calibration (200 fresh streams of 20,000 values per rate): ARL 144,000 at p = 0.1 (4.5% of
    the streams alarm within 2,000 values), 235,000 at p = 0.5, 32,000 at p = 0.01 (but 29%
    within 2,000 values: below p = 0.05 raise ``warm_start`` to see 50 errors or more).
    River's warm start of 30: ARL 24,000 at p = 0.1, 43% within 2,000 values. After 2,000
    values at 0.1, a jump to 0.3 is signalled after a median of 121 values (90th percentile
    193).

    Parameters
    ----------
    warm_start
        Values after which a drift can be signalled (default 500, >= 1). River's 30 makes
        ``p_min`` and ``s_min`` so noisy that at p = 0.1 40% of streams alarm within their first
        1,000 values; 500 keeps it near 2%. The ARL above holds for error rates from 0.01 on
        (at least about 5 errors in the warm start).
    warning_threshold
        Warning level in ``s_min`` (default 2.0, > 0, <= ``drift_threshold``).
    drift_threshold
        Drift level in ``s_min`` (default 3.0, the paper's and river's).

    Examples
    --------
    >>> import random
    >>> rng = random.Random(7)
    >>> stream = [rng.random() < 0.1 for _ in range(2000)]
    >>> stream += [rng.random() < 0.3 for _ in range(500)]
    >>> detector = DDM()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [2123]
    """

    name: ClassVar[str] = "ddm"

    def __init__(
        self,
        *,
        warm_start: int = 500,
        warning_threshold: float = 2.0,
        drift_threshold: float = 3.0,
    ) -> None:
        _check_warm_start(warm_start)
        if not 0.0 < warning_threshold <= drift_threshold:
            raise ConfigurationError(
                "need 0 < warning_threshold <= drift_threshold, got "
                f"warning_threshold={warning_threshold!r}, drift_threshold={drift_threshold!r}"
            )
        self.warm_start = warm_start
        self.warning_threshold, self.drift_threshold = float(warning_threshold), float(
            drift_threshold
        )
        super().__init__()

    def _build(self) -> Any:
        return binary.DDM(
            warm_start=self.warm_start,
            warning_threshold=self.warning_threshold,
            drift_threshold=self.drift_threshold,
        )


class EDDM(BinaryDetector):
    """Early Drift Detection Method (Baena-García et al., 2006): the distance between errors.

    With ``p'`` and ``s'`` the mean and sd of the number of values between two errors, drift
    is signalled when ``(p' + 2 s') / max(p' + 2 s')`` falls below ``beta`` (warning below
    ``alpha``): errors come closer together.

    Calibration (300 fresh streams of 20,000 values): ARL 207,000 at p = 0.1 (6% alarm within
    5,000 values, just after the warm start); no alarm in 100 streams of 20,000 at p = 0.01 or
    0.5. River's defaults (30, 0.95, 0.9): an alarm every 1,450 values at p = 0.1. EDDM is slow:
    its statistics run since the last alarm, so after 5,000 values at 0.1 a jump to 0.3 is
    signalled after a median of 1,500 values (90th percentile 2,300); prefer DDM or HDDM
    unless the errors arrive in bursts.

    Parameters
    ----------
    warm_start
        Errors (and values) seen before a drift can be signalled (default 300, >= 1; river's
        30 gives an ARL of about 1,500 at p = 0.1). At p = 0.1 that is about 3,000 values.
    alpha
        Warning level (default 0.95, in (0, 1], >= ``beta``).
    beta
        Drift level (default 0.7, in (0, 1]; river's 0.9 alarms far too often).

    Examples
    --------
    >>> import random
    >>> rng = random.Random(7)
    >>> stream = [rng.random() < 0.1 for _ in range(5000)]
    >>> stream += [rng.random() < 0.3 for _ in range(3000)]
    >>> detector = EDDM()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [7115]
    """

    name: ClassVar[str] = "eddm"

    def __init__(self, *, warm_start: int = 300, alpha: float = 0.95, beta: float = 0.7) -> None:
        _check_warm_start(warm_start)
        if not 0.0 < beta <= alpha <= 1.0:
            raise ConfigurationError(
                f"need 0 < beta <= alpha <= 1, got alpha={alpha!r}, beta={beta!r}"
            )
        self.warm_start, self.alpha, self.beta = warm_start, float(alpha), float(beta)
        super().__init__()

    def _build(self) -> Any:
        return binary.EDDM(warm_start=self.warm_start, alpha=self.alpha, beta=self.beta)


class HDDMA(BinaryDetector):
    """HDDM_A (Frías-Blanco et al., 2014): Hoeffding's bound on the difference between the
    error rate since a cut point and the rate before it (moving averages).

    Calibration: river's defaults already keep the ARL above 10,000 and are kept: 5 of 200
    fresh streams of 20,000 values alarm at p = 0.1 (ARL about 790,000), 4 alarms in 500,000
    values at p = 0.3 and at p = 0.5, none at p = 0.01. After 2,000 values at 0.1 a jump to
    0.3 is signalled after a median of 121 values (90th percentile 219).

    Parameters
    ----------
    drift_confidence
        Level of the drift test (default 0.001, in (0, 1), <= ``warning_confidence``).
    warning_confidence
        Level of the warning test (default 0.005).
    two_sided_test
        Also signal a DECREASE of the error rate (default ``False``: increases only).

    Examples
    --------
    >>> import random
    >>> rng = random.Random(7)
    >>> stream = [rng.random() < 0.1 for _ in range(2000)]
    >>> stream += [rng.random() < 0.3 for _ in range(500)]
    >>> detector = HDDMA()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [2251]
    """

    name: ClassVar[str] = "hddm_a"

    def __init__(
        self,
        *,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        two_sided_test: bool = False,
    ) -> None:
        _check_confidences(drift_confidence, warning_confidence)
        self.drift_confidence, self.warning_confidence = float(drift_confidence), float(
            warning_confidence
        )
        self.two_sided_test = bool(two_sided_test)
        super().__init__()

    def _build(self) -> Any:
        return binary.HDDMA(  # type: ignore[no-untyped-call]
            drift_confidence=self.drift_confidence,
            warning_confidence=self.warning_confidence,
            two_sided_test=self.two_sided_test,
        )


class HDDMW(BinaryDetector):
    """HDDM_W (Frías-Blanco et al., 2014): McDiarmid's bound on exponentially weighted error
    rates before and after a cut point; weighs recent values more, for gradual changes.

    Calibration (100 fresh streams of 20,000 values per rate, or 10 of 50,000): ARL 24,600 at
    p = 0.5 and 61,000 at p = 0.3 (the bound does not adapt to the variance, so p = 0.5 is the
    worst case); no alarm at p = 0.1 or 0.01. River's defaults (0.001, 0.005, lambda 0.05):
    ARL 1,240 at p = 0.5, 2,450 at p = 0.3. After 2,000 values at 0.1 a jump to 0.3 is
    signalled after a median of 166 values (90th percentile 297).

    Parameters
    ----------
    drift_confidence
        Level of the drift test (default 3e-5, in (0, 1), <= ``warning_confidence``; river's
        0.001 alarms about every 1,200 values at p = 0.5).
    warning_confidence
        Level of the warning test (default 3e-4).
    lambda_val
        Weight of the latest value in the moving averages (default 0.01, in (0, 1]; river's
        0.05 makes the bound so wide that a jump from 0.1 to 0.3 takes a median of 680 values
        at ``drift_confidence=1e-4``).
    two_sided_test
        Also signal a DECREASE of the error rate (default ``False``: increases only).

    Examples
    --------
    >>> import random
    >>> rng = random.Random(7)
    >>> stream = [rng.random() < 0.1 for _ in range(2000)]
    >>> stream += [rng.random() < 0.3 for _ in range(500)]
    >>> detector = HDDMW()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [2264]
    """

    name: ClassVar[str] = "hddm_w"

    def __init__(
        self,
        *,
        drift_confidence: float = 3e-5,
        warning_confidence: float = 3e-4,
        lambda_val: float = 0.01,
        two_sided_test: bool = False,
    ) -> None:
        _check_confidences(drift_confidence, warning_confidence)
        if not 0.0 < lambda_val <= 1.0:
            raise ConfigurationError(f"lambda_val must be in (0, 1], got {lambda_val!r}")
        self.drift_confidence, self.warning_confidence = float(drift_confidence), float(
            warning_confidence
        )
        self.lambda_val, self.two_sided_test = float(lambda_val), bool(two_sided_test)
        super().__init__()

    def _build(self) -> Any:
        return binary.HDDMW(  # type: ignore[no-untyped-call]
            drift_confidence=self.drift_confidence,
            warning_confidence=self.warning_confidence,
            lambda_val=self.lambda_val,
            two_sided_test=self.two_sided_test,
        )

"""Seeded streams and alarm counting shared by the streaming detector tests.

The run-length (ARL) checks feed long stationary streams and count false alarms; the detectors
restart by themselves after each alarm, so the count over ``n`` values estimates ``n / ARL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from driftline.detector.streaming import StreamingDetector

#: the stationary streams every numeric detector is calibrated on: unit normal, heavy-tailed
#: t(3), and data in thousands (the standardization makes the scale irrelevant)
KINDS = ("normal", "t3", "thousands")


def draw(kind: str, rng: np.random.Generator, n: int, shift_sd: float = 0.0) -> np.ndarray:
    """``n`` values of ``kind``, their mean moved by ``shift_sd`` standard deviations."""
    if kind == "normal":
        return rng.normal(size=n) + shift_sd
    if kind == "t3":
        return rng.standard_t(3, size=n) + shift_sd * np.sqrt(3.0)
    if kind == "thousands":
        return 5000.0 + 1000.0 * (rng.normal(size=n) + shift_sd)
    raise ValueError(kind)


def alarms(detector: StreamingDetector, values: Iterable[object]) -> list[int]:
    """Indices at which ``detector`` signals drift."""
    update = detector.update
    return [i for i, x in enumerate(values) if update(x).drift_detected]


def count_stationary_alarms(make: Callable[[], Any], kind: str, *, runs: int,
                            steps: int, fit: int, seed: int) -> int:
    """False alarms over ``runs`` independent stationary streams of ``steps`` values; each
    detector is fitted on ``fit`` reference values (``0``: it warms up on the stream)."""
    total = 0
    for run in range(runs):
        rng = np.random.default_rng([seed, run])
        detector = make()
        if fit:
            detector.fit(draw(kind, rng, fit))
        total += len(alarms(detector, draw(kind, rng, steps).tolist()))
    return total


def shift_delays(make: Callable[[], Any], *, runs: int, pre: int, seed: int,
                 kind: str = "normal", fit: int = 2000, shift_sd: float = 1.0,
                 post: int = 2000) -> tuple[np.ndarray, int]:
    """Delays (values after the change, inf when missed) to the first alarm after a mean shift
    of ``shift_sd`` sd at index ``pre``, and the number of alarms before it."""
    delays, early = [], 0
    for run in range(runs):
        rng = np.random.default_rng([seed, run])
        detector = make()
        if fit:
            detector.fit(draw(kind, rng, fit))
        stream = np.concatenate([draw(kind, rng, pre), draw(kind, rng, post, shift_sd)])
        found = alarms(detector, stream.tolist())
        early += sum(i < pre for i in found)
        after = [i - pre for i in found if i >= pre]
        delays.append(after[0] if after else np.inf)
    return np.array(delays, dtype=np.float64), early

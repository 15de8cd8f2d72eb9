"""Online MMD drift detection calibrated to an expected run time (ERT) between false alarms.

The algorithm is alibi-detect's ``MMDDriftOnline``. The test statistic at each step is the
unbiased MMD^2 between a fixed sub-sample of the reference and a sliding window of the last
``window_size`` observations. The thresholds are calibrated at ``fit`` by simulation on the
reference alone: ``n_bootstraps`` times, the reference is split at random into a sub-reference
and a stream of ``2 * window_size - 1`` rows; at step ``t`` (``t`` new rows in the window) the
threshold is the ``1 - 1/ert`` quantile of the statistic over the simulated streams that have
not yet crossed a threshold, so the probability of a first false alarm is ``1/ert`` per step
and the expected run time without drift is about ``ert``. From ``t = window_size - 1`` on the
threshold stays fixed.

The streaming API follows river: ``update(x)`` returns the detector, the verdict is the
read-only ``drift_detected``. Rows are 1-D numeric vectors in the order of the reference's
columns; they are standardized with the reference mean and standard deviation.
"""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import numpy.typing as npt

from driftline.detector._encoding import FloatMatrix
from driftline.detector._kernels import gaussian_kernel, median_bandwidth, subsample
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = ["BOOTSTRAP_CHUNK", "MAX_SPLIT_ATTEMPTS", "OnlineMMDDetector"]

#: how many random reference splits ``fit`` tries to find one whose initial window is quiet
MAX_SPLIT_ATTEMPTS = 100
#: bootstraps per chunk in the calibration (bounds memory to about chunk * (2W)^2 floats)
BOOTSTRAP_CHUNK = 256


class OnlineMMDDetector:
    """Sliding-window MMD^2 against the reference, with thresholds for a target ERT.

    Settings: ``ert`` expected number of steps between false alarms; ``window_size`` rows in
    the test window; ``n_bootstraps`` simulated streams for the calibration (must leave at
    least ``ert`` streams per step, so ``n_bootstraps`` should be several times ``ert``);
    ``bandwidth`` of the Gaussian kernel (``None``: median heuristic on the reference, as
    ``MMDDetector``); ``max_samples`` reference rows kept (seeded subsample; the calibration
    holds an ``n x n`` kernel matrix); ``seed``.
    """

    def __init__(
        self,
        *,
        ert: float,
        window_size: int,
        n_bootstraps: int = 1000,
        bandwidth: float | None = None,
        max_samples: int = 2000,
        seed: int = 0,
    ) -> None:
        if not ert > 1.0:
            raise ConfigurationError(f"ert must be > 1, got {ert!r}")
        if window_size < 2:
            raise ConfigurationError(f"window_size must be >= 2, got {window_size!r}")
        if n_bootstraps < ert:
            raise ConfigurationError(f"n_bootstraps ({n_bootstraps}) must be >= ert ({ert})")
        if bandwidth is not None and not bandwidth > 0.0:
            raise ConfigurationError(f"bandwidth must be > 0 or None, got {bandwidth!r}")
        self.ert = ert
        self.window_size = window_size
        self.n_bootstraps = n_bootstraps
        self.bandwidth = bandwidth
        self.max_samples = max_samples
        self.seed = seed
        self._mean: npt.NDArray[np.float64] | None = None
        self._scale: npt.NDArray[np.float64] = np.empty(0)
        self._bw = 0.0
        self._thresholds: npt.NDArray[np.float64] = np.empty(0)
        self._ref: FloatMatrix = np.empty((0, 0))  # the fixed sub-reference
        self._ref_sum = 0.0  # its zero-diagonal kernel mean
        self._init_window: FloatMatrix = np.empty((0, 0))
        self._window: FloatMatrix = np.empty((0, 0))  # the test window, oldest row first
        self._k_yy: FloatMatrix = np.empty((0, 0))  # its kernel matrix
        self._cross: npt.NDArray[np.float64] = np.empty(0)  # sub-reference kernel sums per row
        self._t, self._stat, self._drift = 0, math.nan, False
        self.reset()

    @property
    def drift_detected(self) -> bool:
        """Whether the latest ``update`` crossed the threshold."""
        return self._drift

    @property
    def test_stat(self) -> float:
        """The MMD^2 of the current window (``nan`` before the first update)."""
        return self._stat

    @property
    def threshold(self) -> float:
        """The threshold the latest ``update`` was compared with."""
        self._fitted()
        return float(self._thresholds[min(self._t, self.window_size - 1)])

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The calibrated threshold for ``t = 0 .. window_size - 1`` new rows in the window."""
        return tuple(float(v) for v in self._fitted())

    @property
    def n_updates(self) -> int:
        return self._t

    def fit(self, reference: npt.ArrayLike) -> Self:
        raw = np.asarray(reference, dtype=np.float64)
        if raw.ndim != 2 or np.isnan(raw).any():
            raise ValidationError("reference must be a 2-D array without NaN", field="reference")
        etw = 2 * self.window_size - 1
        if len(raw) < etw + 2:
            raise ValidationError(
                f"reference needs more than 2 * window_size rows, got {len(raw)}",
                field="reference",
            )
        std = raw.std(axis=0, ddof=1)
        self._mean, self._scale = raw.mean(axis=0), np.where(std > 0.0, std, 1.0)
        x = subsample((raw - self._mean) / self._scale, self.max_samples, [self.seed, 0])
        self._bw = self.bandwidth or median_bandwidth(x, seed=self.seed)
        kernel = gaussian_kernel(x, x, self._bw)
        rng = np.random.default_rng([self.seed, 3])
        self._thresholds = self._calibrate(kernel, rng)
        n, w = len(x), self.window_size
        for _ in range(MAX_SPLIT_ATTEMPTS):
            perm = rng.permutation(n)
            ref_idx, init_idx = perm[: n - etw], perm[-w:]
            k_ref = kernel[np.ix_(ref_idx, ref_idx)]
            self._ref_sum = (k_ref.sum() - len(ref_idx)) / (len(ref_idx) * (len(ref_idx) - 1))
            self._ref, self._init_window = x[ref_idx], x[init_idx]
            self.reset()
            if self._statistic() < self._thresholds[0]:
                return self
        raise ValidationError("no reference split gives a quiet initial window", field="reference")

    def update(self, x: npt.ArrayLike) -> Self:
        """Add one row to the window and test it."""
        mean = self._fitted_mean()
        row = np.asarray(x, dtype=np.float64)
        if row.shape != mean.shape or np.isnan(row).any():
            raise ValidationError(f"expected a row of {mean.shape[0]} numbers without NaN")
        z = ((row - mean) / self._scale)[None, :]
        self._window = np.concatenate([self._window[1:], z])
        k_new = gaussian_kernel(self._window, z, self._bw)[:, 0]
        self._k_yy[:-1, :-1] = self._k_yy[1:, 1:]
        self._k_yy[-1, :] = self._k_yy[:, -1] = k_new
        self._cross = np.append(self._cross[1:], gaussian_kernel(self._ref, z, self._bw).sum())
        self._t += 1
        self._stat = self._statistic()
        self._drift = self._stat > self.threshold
        return self

    def reset(self) -> Self:
        """Start the stream again from the initial window; the calibration is kept."""
        self._t, self._stat, self._drift = 0, math.nan, False
        self._window = self._init_window.copy()
        if len(self._window):
            self._k_yy = gaussian_kernel(self._window, self._window, self._bw)
            self._cross = gaussian_kernel(self._ref, self._window, self._bw).sum(axis=0)
        return self

    def _statistic(self) -> float:
        w, n_ref = self.window_size, len(self._ref)
        within = (self._k_yy.sum() - w) / (w * (w - 1))
        return float(self._ref_sum + within - 2.0 * self._cross.sum() / (n_ref * w))

    def _calibrate(self, kernel: FloatMatrix, rng: np.random.Generator) -> npt.NDArray[np.float64]:
        """Per-step thresholds from simulated no-drift streams (see the module docstring)."""
        n, w = len(kernel), self.window_size
        etw, n_ref = 2 * w - 1, len(kernel) - (2 * w - 1)
        full_sum, col_sums = kernel.sum() - n, kernel.sum(axis=0)
        stats = np.empty((self.n_bootstraps, w))
        for start in range(0, self.n_bootstraps, BOOTSTRAP_CHUNK):
            count = min(BOOTSTRAP_CHUNK, self.n_bootstraps - start)
            stream = np.stack([rng.permutation(n)[-etw:] for _ in range(count)])
            k_ss = kernel[stream[:, :, None], stream[:, None, :]]  # (count, etw, etw)
            cross = col_sums[stream] - k_ss.sum(axis=1)  # sub-reference to each stream row
            ref_sum = (full_sum - (k_ss.sum(axis=(1, 2)) - etw) - 2.0 * cross.sum(axis=1)) / (
                n_ref * (n_ref - 1)
            )
            prefix = np.zeros((count, etw + 1, etw + 1))
            prefix[:, 1:, 1:] = k_ss.cumsum(axis=1).cumsum(axis=2)
            cross_prefix = np.concatenate([np.zeros((count, 1)), cross.cumsum(axis=1)], axis=1)
            for t in range(w):
                e = t + w
                within = prefix[:, e, e] - prefix[:, t, e] - prefix[:, e, t] + prefix[:, t, t]
                cross_sum = cross_prefix[:, e] - cross_prefix[:, t]
                stats[start : start + count, t] = (
                    ref_sum + (within - w) / (w * (w - 1)) - 2.0 * cross_sum / (n_ref * w)
                )
        thresholds = np.empty(w)
        alive = np.ones(self.n_bootstraps, dtype=bool)
        for t in range(w):
            if alive.sum() < self.ert:
                raise ConfigurationError(
                    f"only {alive.sum()} of n_bootstraps={self.n_bootstraps} simulated streams "
                    f"are left at step {t}; raise n_bootstraps well above ert={self.ert}"
                )
            thresholds[t] = np.quantile(stats[alive, t], 1.0 - 1.0 / self.ert)
            alive &= stats[:, t] < thresholds[t]
        return thresholds

    def _fitted(self) -> npt.NDArray[np.float64]:
        self._fitted_mean()
        return self._thresholds

    def _fitted_mean(self) -> npt.NDArray[np.float64]:
        if self._mean is None:
            raise NotFittedError("OnlineMMDDetector.fit must be called before update")
        return self._mean

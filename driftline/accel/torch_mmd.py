"""An optional PyTorch path for the MMD permutation test (GPU when there is one).

Same statistic, permutations, p-value, effect size, statuses and details as
``driftline.detector.mmd.MMDDetector``; only the kernel blocks and the ``K0 @ W`` product of
all permutations (and of the observed labelling, column 0 of ``label_weights``) run in torch
(float32, TF32 off so that the result does not depend on the card), the observed statistic is
summed in float64. torch is not a dependency of driftline: importing this module without it
raises ImportError, and ``get_detector("mmd_torch")`` works once it is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from driftline.detector._base import register_detector
from driftline.detector._encoding import FloatMatrix
from driftline.detector._kernels import PermutationTest
from driftline.detector.mmd import MMDDetector, label_weights

__all__ = ["TorchMMDDetector"]


@register_detector("mmd_torch")
class TorchMMDDetector(MMDDetector):
    """``MMDDetector`` with the permutation test in torch; ``device`` e.g. ``"cuda"``
    [None: CUDA when available, else the CPU]; every other setting as ``MMDDetector``."""

    def __init__(self, *, device: str | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))

    def _cache_reference_kernel(self, x: FloatMatrix) -> None:
        """Nothing: the kernel work is left to the device (the CPU detector caches ``K_xx``
        at ``fit`` instead)."""

    def _kernel(self, a: Any, b: Any) -> Any:
        d2 = (a * a).sum(1, keepdim=True) + (b * b).sum(1) - 2.0 * (a @ b.T)
        return torch.exp(-self._gamma * d2.clamp_min_(0.0)).to(torch.float32)

    def _permutation_test(self, y: FloatMatrix) -> PermutationTest:
        torch.backends.cuda.matmul.allow_tf32 = False
        n, m = len(self._x), len(y)
        dev = self.device
        pooled = torch.from_numpy(np.concatenate([self._x, y])).to(dev, torch.float64)
        w = torch.from_numpy(label_weights(n, m, self.n_permutations, self.seed)).to(dev)
        kw = torch.zeros_like(w)
        rowsum = torch.zeros(n + m, dtype=torch.float64, device=dev)
        step = max(1, (self.block_bytes // (12 * (n + m))))
        sums = torch.zeros(3, dtype=torch.float64, device=dev)  # xx, yy, xy (zero diagonal)
        for start in range(0, n + m, step):
            rows = slice(start, min(start + step, n + m))
            block = self._kernel(pooled[rows], pooled)
            idx = torch.arange(rows.start, rows.stop, device=dev)
            block[idx - rows.start, idx] = 0.0
            kw[rows] = block @ w
            rowsum[rows] = block.sum(1, dtype=torch.float64)
            in_x = idx < n
            sums[0] += block[in_x, :n].sum(dtype=torch.float64)
            sums[1] += block[~in_x, n:].sum(dtype=torch.float64)
            sums[2] += block[in_x, n:].sum(dtype=torch.float64)
        sum_xx, sum_yy, sum_xy = (float(v) for v in sums.cpu())
        stats = self._permuted_mmd2(w.cpu().numpy(), kw.cpu().numpy(), rowsum.cpu().numpy(),
                                    n, m)
        return self._outcome((sum_xx, sum_yy, sum_xy), stats, n, m)

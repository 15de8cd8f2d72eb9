"""Classification metrics, weighted (``weights``: ``(k, n)``; ones for the plain value).

Accuracy; precision, recall and F1 per class (0 where undefined, as scikit-learn's
``zero_division=0``) and their macro means over the classes seen in the truth or the
predictions; ROC AUC (binary: of the positive class's score; multiclass: the macro mean of
one-vs-rest AUCs over the classes with both outcomes) with ties counted half, as
``roc_auc_score``; log loss with probabilities clipped to ``[1e-15, 1 - 1e-15]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CLASSIFICATION_METRICS", "ClassificationData", "classification_metrics"]

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
#: the metrics on the whole window; ``class:<c>`` subjects add per-class precision/recall/f1
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
_EPS = 1e-15


@dataclass(frozen=True)
class ClassificationData:
    """Truth and predicted classes as codes into ``classes``; ``scores``: ``(n, classes)``
    probabilities, or None; ``positive``: the positive class's code for a binary task (its
    precision / recall / F1 are the headline ones), None for macro means."""

    truth: _IntArray
    predicted: _IntArray
    classes: tuple[str, ...]
    scores: _FloatArray | None = None
    positive: int | None = None

    @property
    def n(self) -> int:
        return int(self.truth.size)


def _ratio(num: _FloatArray, den: _FloatArray) -> _FloatArray:
    out: _FloatArray = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _per_class(data: ClassificationData, c: int, w: _FloatArray) -> dict[str, _FloatArray]:
    is_true, is_pred = data.truth == c, data.predicted == c
    tp = w @ (is_true & is_pred).astype(np.float64)
    fp = w @ (~is_true & is_pred).astype(np.float64)
    fn = w @ (is_true & ~is_pred).astype(np.float64)
    return {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


def _class_metric(data: ClassificationData, classes: tuple[int, ...],
                  name: str) -> Callable[[_FloatArray], _FloatArray]:
    """One class's precision / recall / F1, or the mean over ``classes`` (macro)."""
    def metric(w: _FloatArray) -> _FloatArray:
        values: _FloatArray = np.mean([_per_class(data, c, w)[name] for c in classes], axis=0)
        return values
    return metric


def _auc(score: _FloatArray, positive: npt.NDArray[np.bool_], w: _FloatArray) -> _FloatArray:
    """Weighted Mann-Whitney AUC of ``score`` for ``positive`` rows, ties counted half."""
    order = np.argsort(score, kind="stable")
    sorted_scores = score[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ws = w[:, order]
    pos = positive[order].astype(np.float64)
    p = np.add.reduceat(ws * pos, starts, axis=1)
    q = np.add.reduceat(ws * (1.0 - pos), starts, axis=1)
    below = np.cumsum(q, axis=1) - q
    total = p.sum(axis=1) * q.sum(axis=1)
    auc: _FloatArray = np.divide(np.sum(p * (below + 0.5 * q), axis=1), total,
                                out=np.full(total.shape, np.nan), where=total > 0)
    return auc


def classification_metrics(data: ClassificationData
                           ) -> dict[tuple[str, str], Callable[[_FloatArray], _FloatArray]]:
    """``(subject, metric) -> metric(weights)``: ``("*", "accuracy")``, ``("*", "f1")``
    (positive class, or macro), ``("class:a", "recall")``, ``("*", "roc_auc")`` ..."""
    seen = sorted(set(np.unique(data.truth).tolist()) | set(np.unique(data.predicted).tolist()))
    correct = (data.truth == data.predicted).astype(np.float64)
    out: dict[tuple[str, str], Callable[[_FloatArray], _FloatArray]] = {
        ("*", "accuracy"): lambda w: _ratio(w @ correct, w.sum(axis=1))}
    for c in seen:
        for name in ("precision", "recall", "f1"):
            out[(f"class:{data.classes[c]}", name)] = _class_metric(data, (c,), name)
    headline = (data.positive,) if data.positive is not None else tuple(seen)
    for name in ("precision", "recall", "f1"):
        out[("*", name)] = _class_metric(data, headline, name)
    if data.scores is not None:
        scores = data.scores
        if data.positive is not None:
            positive = data.truth == data.positive
            out[("*", "roc_auc")] = lambda w: _auc(scores[:, data.positive], positive, w)
        else:
            both = [c for c in range(len(data.classes))
                    if 0 < np.sum(data.truth == c) < data.n]
            out[("*", "roc_auc")] = lambda w: np.mean(
                [_auc(scores[:, c], data.truth == c, w) for c in both], axis=0)
        p_true = np.clip(scores[np.arange(data.n), data.truth], _EPS, 1 - _EPS)
        loss = -np.log(p_true)
        out[("*", "log_loss")] = lambda w: _ratio(w @ loss, w.sum(axis=1))
    return out

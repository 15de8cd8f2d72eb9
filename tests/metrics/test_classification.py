"""Classification metrics on unit weights equal scikit-learn's; weights are resample counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from driftline.metrics import ClassificationData, classification_metrics


def _value(found: dict, key: tuple[str, str], n: int) -> float:
    return float(found[key](np.ones((1, n)))[0])


def _binary(n: int = 500, seed: int = 0) -> tuple[ClassificationData, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = (rng.random(n) < 0.3).astype(np.int64)
    p = np.clip(0.3 + 0.4 * truth + rng.normal(0, 0.25, n), 0.01, 0.99)
    p = np.round(p, 2)  # ties in the scores
    predicted = (p >= 0.5).astype(np.int64)
    scores = np.column_stack([1 - p, p])
    return ClassificationData(truth, predicted, ("no", "yes"), scores, positive=1), truth, p


def test_binary_metrics_equal_scikit_learn() -> None:
    data, truth, p = _binary()
    found = classification_metrics(data)
    predicted = data.predicted
    assert _value(found, ("*", "accuracy"), data.n) == pytest.approx(
        sk.accuracy_score(truth, predicted))
    assert _value(found, ("*", "precision"), data.n) == pytest.approx(
        sk.precision_score(truth, predicted))
    assert _value(found, ("*", "recall"), data.n) == pytest.approx(
        sk.recall_score(truth, predicted))
    assert _value(found, ("*", "f1"), data.n) == pytest.approx(sk.f1_score(truth, predicted))
    assert _value(found, ("*", "roc_auc"), data.n) == pytest.approx(sk.roc_auc_score(truth, p))
    assert _value(found, ("*", "log_loss"), data.n) == pytest.approx(sk.log_loss(truth, p))
    assert _value(found, ("class:no", "recall"), data.n) == pytest.approx(
        sk.recall_score(truth, predicted, pos_label=0))


def test_multiclass_macro_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    n, k = 600, 3
    truth = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[truth]
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    predicted = scores.argmax(axis=1)
    predicted[:5] = 2  # class 2 over-predicted a little
    data = ClassificationData(truth, predicted, ("a", "b", "c"), scores)
    found = classification_metrics(data)
    for name, fn in (("precision", sk.precision_score), ("recall", sk.recall_score),
                     ("f1", sk.f1_score)):
        assert _value(found, ("*", name), n) == pytest.approx(fn(truth, predicted,
                                                                  average="macro"))
    assert _value(found, ("*", "roc_auc"), n) == pytest.approx(
        sk.roc_auc_score(truth, scores, multi_class="ovr", average="macro"))
    assert _value(found, ("*", "log_loss"), n) == pytest.approx(sk.log_loss(truth, scores))
    per_class = sk.f1_score(truth, predicted, average=None)
    for c, name in enumerate("abc"):
        assert _value(found, (f"class:{name}", "f1"), n) == pytest.approx(per_class[c])


def test_weights_are_resample_counts() -> None:
    data, truth, p = _binary(200)
    found = classification_metrics(data)
    rng = np.random.default_rng(9)
    rows = rng.integers(0, data.n, data.n)
    weights = np.bincount(rows, minlength=data.n).astype(np.float64)[np.newaxis, :]
    assert found[("*", "roc_auc")](weights)[0] == pytest.approx(
        sk.roc_auc_score(truth[rows], p[rows]))
    assert found[("*", "f1")](weights)[0] == pytest.approx(
        sk.f1_score(truth[rows], data.predicted[rows]))


def test_undefined_ratios_are_zero_and_one_class_auc_is_nan() -> None:
    truth = np.zeros(10, dtype=np.int64)
    data = ClassificationData(truth, truth.copy(), ("no", "yes"),
                              np.column_stack([np.ones(10), np.zeros(10)]), positive=1)
    found = classification_metrics(data)
    assert _value(found, ("*", "precision"), 10) == 0.0
    assert np.isnan(_value(found, ("*", "roc_auc"), 10))

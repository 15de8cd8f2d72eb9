"""``@monitor``: log every call of an existing predict function with one line.

>>> @monitor("fraud")                                   # doctest: +SKIP
... def predict(features: dict) -> float: ...
>>> @monitor("fraud", batch=True, feature_names=["amount", "age"])  # doctest: +SKIP
... def predict_many(rows: list[list[float]]) -> list[float]: ...

Features come from the keyword arguments, or from the one Mapping positional argument (a row
as a sequence needs ``feature_names``); with ``batch=True`` from the one list of rows, one
event per row and output. The function's return value and exceptions pass through unchanged;
a logging failure never breaks the call.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from driftline.sdk._global import get_client
from driftline.sdk.client import Client, NoopClient

__all__ = ["monitor"]

F = TypeVar("F", bound=Callable[..., Any])


def _identity(out: Any) -> Any:
    return out


def monitor(
    model: str,
    *,
    client: Client | NoopClient | None = None,
    feature_names: Sequence[str] | None = None,
    prediction: Callable[[Any], Any] = _identity,
    model_version: str | None = None,
    batch: bool = False,
) -> Callable[[F], F]:
    """Decorate a predict function (sync or async) so every call is logged to ``model``.

    ``client`` defaults to the process-wide one at call time (so decorating before
    ``driftline.init`` works); ``prediction`` maps the function's output to what is logged.
    """
    names = list(feature_names) if feature_names is not None else None

    def log(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any, latency_ms: float) -> None:
        try:
            target = client if client is not None else get_client()
            if batch:
                rows = _rows(_positional(args, kwargs, batch=True), names)
                outputs = list(out)
                per_row = latency_ms / max(len(rows), 1)
                for row, row_out in zip(rows, outputs, strict=False):
                    target.log_prediction(
                        row,
                        prediction(row_out),
                        model=model,
                        model_version=model_version,
                        latency_ms=per_row,
                    )
                return
            features = _features(args, kwargs, names)
            target.log_prediction(
                features,
                prediction(out),
                model=model,
                model_version=model_version,
                latency_ms=latency_ms,
            )
        except Exception:  # monitoring must never break a prediction
            return

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                out = await fn(*args, **kwargs)
                log(args, kwargs, out, (time.perf_counter() - start) * 1000.0)
                return out

            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            log(args, kwargs, out, (time.perf_counter() - start) * 1000.0)
            return out

        return cast(F, wrapper)

    return decorate


def _positional(args: tuple[Any, ...], kwargs: Mapping[str, Any], *, batch: bool) -> Any:
    """The one argument holding the features (skipping ``self`` and other non-data)."""
    candidates = [
        a
        for a in args
        if isinstance(a, Mapping) or (batch and _is_rows(a)) or (not batch and _is_row(a))
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and kwargs:
        return dict(kwargs)
    raise ValueError("cannot tell which argument holds the features")


def _is_row(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _is_rows(value: Any) -> bool:
    return (
        hasattr(value, "to_dict")
        or (_is_row(value) and not isinstance(value, Mapping))
        or hasattr(value, "tolist")
    )


def _as_features(row: Any, names: list[str] | None) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return {k: v for k, v in row.items() if names is None or k in names}
    if names is None:
        raise ValueError("a row given as a sequence needs feature_names")
    return dict(zip(names, row, strict=True))


def _features(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str] | None
) -> dict[str, Any]:
    if kwargs and not any(isinstance(a, Mapping) for a in args):
        return {k: v for k, v in kwargs.items() if names is None or k in names}
    return _as_features(_positional(args, {}, batch=False), names)


def _rows(value: Any, names: list[str] | None) -> list[dict[str, Any]]:
    if hasattr(value, "to_dict"):  # a pandas DataFrame
        value = value.to_dict("records")
    elif hasattr(value, "tolist"):  # a numpy array
        value = value.tolist()
    return [_as_features(row, names) for row in value]

"""The training hook: store a reference profile of the training set next to the events.

    from driftline.ingest.references import save_reference
    save_reference(store, "churn", {"age": ages, "plan": plans})

A bounded, seeded sample of the frame is stored (``store.references``, see
``driftline.storage.references``); saving again under the same name stores a new version,
which monitors with a stored reference pick up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftline.storage import Store

__all__ = ["save_reference"]


def save_reference(store: Store, model: str, frame: Mapping[str, npt.ArrayLike], *,
                   name: str = "training", max_rows: int | None = None,
                   seed: int = 0) -> int:
    """Store the reference ``frame`` (feature -> column) of ``model``; returns its version.

    At most ``max_rows`` rows are kept (default ``driftline.storage.DEFAULT_MAX_ROWS``; a
    sample drawn with ``seed`` when there are more).
    """
    return store.references.save(model, frame, name=name, max_rows=max_rows, seed=seed)

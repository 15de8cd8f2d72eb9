"""The one write path (``Ingestor``) against a real embedded store."""

from __future__ import annotations

import pandas as pd
import pytest

from driftline.errors import ValidationError
from driftline.ingest.events import FeatureKind
from driftline.ingest.writer import Ingestor
from driftline.storage import Store

T0 = 1_700_000_000.0


def test_rows_columns_and_frames_land_in_one_schema(chdb_store: Store) -> None:
    ingestor = Ingestor(chdb_store)
    rows = ingestor.ingest_events([
        {"model": "m", "event_id": "r1", "timestamp": T0, "features": {"x": 1.0, "flag": True}},
        {"model": "m\n", "event_id": "r2", "timestamp": T0, "features": {"x": 2.0}},
    ])
    assert rows.accepted == 1 and [r.field for r in rows.rejected] == ["model"]
    assert len(rows.schema_changes) == 1
    columns = ingestor.ingest_columns("m", {"event_id": ["c1", "c2"], "timestamp": [T0, T0],
                                            "features": {"x": [3.0, None], "flag": [False, True]}})
    assert columns.accepted == 2 and not columns.rejected and not columns.schema_changes
    frame = ingestor.ingest_frame("m", pd.DataFrame({
        "event_id": ["f1"], "timestamp": [T0], "x": [4.0], "flag": [True]}))
    assert frame.accepted == 1 and not frame.schema_changes
    assert chdb_store.events.known_kinds("m") == {"x": FeatureKind.NUMERIC,
                                                  "flag": FeatureKind.NUMERIC}
    assert chdb_store.events.count("m") == 4


def test_a_bad_model_name_for_a_columnar_batch_is_a_validation_error(chdb_store: Store) -> None:
    with pytest.raises(ValidationError) as info:
        Ingestor(chdb_store).ingest_columns("m\n", {"timestamp": [T0]})
    assert info.value.field == "model"


def test_labels_are_stored_and_bad_ones_rejected(chdb_store: Store) -> None:
    report = Ingestor(chdb_store).ingest_labels([
        {"model": "m", "event_id": "a", "label": 1, "timestamp": T0},
        {"model": "m", "event_id": "b", "label": None, "timestamp": T0},
    ])
    assert report.accepted == 1 and [r.field for r in report.rejected] == ["label"]
    assert report.as_dict()["rejected"][0]["index"] == 1

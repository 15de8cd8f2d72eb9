"""Schema changes as results: a feature added to or removed from a model, in the window whose
events first carry the new schema version.

Every event is stored with the schema version it was written under. Per window: the versions
its events carry above the highest version of the events before it are the changes the
window brings (the first window of a model is its baseline, not a change). One record per
added or removed feature (subject: the feature; metric ``feature_added`` or
``feature_removed``; value: the schema version; details: the version's time and kind) and a
``"*"`` record whose value is the number of unplanned changes. A change listed in
``planned`` (``"+name"`` for an addition, ``"-name"`` for a removal) is ``ok`` with
``details.planned`` true, so a planned release is one quiet window, not a storm of alerts;
an unplanned one is ``alert``. A value of another kind for an existing feature never changes
the schema: ingest rejects those events and says which feature (see ``driftline.ingest``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    no_data,
    record,
    register_kind,
)
from driftline.engine.windows import Span
from driftline.ingest.validation import FEATURE_NAME, FEATURE_NAME_RULE
from driftline.storage import ResultRecord, ResultStatus

if TYPE_CHECKING:
    from driftline.engine.monitor import Monitor

__all__ = ["SchemaKind", "SchemaSettings"]


class SchemaSettings(BaseModel):
    """``planned``: the changes that are expected (``"+feature"`` added, ``"-feature"``
    removed); they are recorded as ``ok``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planned: tuple[str, ...] = Field(default_factory=tuple)

    @field_validator("planned")
    @classmethod
    def _signed_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item[:1] not in ("+", "-") or not FEATURE_NAME.fullmatch(item[1:]):
                raise ValueError(f"expected '+feature' or '-feature' ({FEATURE_NAME_RULE}), "
                                 f"got {item!r}")
        return value


@register_kind("schema")
class SchemaKind(MonitorKind):
    settings_model = SchemaSettings

    def evaluate(self, monitor: Monitor, window: Span, ctx: EvaluationContext) -> Evaluation:
        settings = monitor.settings
        assert isinstance(settings, SchemaSettings)
        n_window = ctx.count(monitor.model, window)
        if n_window == 0:
            return no_data(monitor, self.name, window, "schema_changes")
        events = ctx.store.events
        n_before, previous = events.schema_version_span(monitor.model, None, window.start)
        newest = events.schema_version_span(monitor.model, window.start, window.end)[1]
        if n_before == 0:  # the model's first window: its baseline
            only = record(monitor, self.name, window, None, "*", "schema_changes", 0.0,
                          ResultStatus.OK, n_window=n_window,
                          details={"schema_version": newest, "note": "first window: baseline"})
            return Evaluation(monitor.id, window, ResultStatus.OK, (only,), None)
        versions = [v for v in events.schema_versions(monitor.model)
                    if previous < v.version <= newest]
        planned = set(settings.planned)
        rows: list[ResultRecord] = []
        for version in versions:
            changes = [("+", f) for f in version.added] + [("-", f) for f in version.removed]
            for sign, feature in changes:
                expected = f"{sign}{feature}" in planned
                kind = version.features.get(feature)
                rows.append(record(
                    monitor, self.name, window, None, feature,
                    "feature_added" if sign == "+" else "feature_removed",
                    float(version.version), ResultStatus.OK if expected else ResultStatus.ALERT,
                    n_window=n_window,
                    details={"planned": expected, "schema_version": version.version,
                             "created_at": version.created_at,
                             "kind": kind.value if kind is not None else None}))
        unplanned = sum(r.status is ResultStatus.ALERT for r in rows)
        status = ResultStatus.ALERT if unplanned else ResultStatus.OK
        overall = record(monitor, self.name, window, None, "*", "schema_changes",
                         float(unplanned), status, n_window=n_window,
                         details={"schema_version": newest, "previous_version": previous,
                                  "changes": [f"{'+' if r.metric == 'feature_added' else '-'}"
                                              f"{r.subject}" for r in rows]})
        return Evaluation(monitor.id, window, status, (overall, *rows), versions)

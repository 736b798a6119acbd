"""Before an export: how many of its labels the model made, and how accurate they are thought
to be (the audit estimate of ``labeler.routing.report``), so a front end can ask first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.routing.audit import MODEL_LABELS, accuracy_text
from labeler.routing.report import routing_summary
from labeler.store.browse import RecordFilter, record_seqs
from labeler.types import Route

if TYPE_CHECKING:
    import sqlite_utils

LOW_ACCURACY = 0.9
"""Below this estimated accuracy of the model's labels an export asks before including them."""

_SOURCES_WITH_MODEL_LABELS = {"finished": Route.MODEL, "model": Route.MODEL, "all": None}


@dataclass(frozen=True, slots=True)
class ModelLabelCheck:
    """Model-made labels an export would take, and their audit estimate (None: no audit)."""

    model_labels: int
    accuracy: float | None
    interval: tuple[float, float] | None
    audited: int

    @property
    def needs_confirmation(self) -> bool:
        if self.model_labels == 0:
            return False
        return self.accuracy is None or self.accuracy < LOW_ACCURACY

    def explain(self) -> str:
        """The estimate and how to improve it, in words."""
        n = f"{self.model_labels:,} label{'s' if self.model_labels != 1 else ''}"
        if self.accuracy is None:
            estimate = (
                f"This export includes {n} made by the model, and their accuracy is unknown: "
                "no audited model labels have been reviewed yet."
            )
        else:
            interval = self.interval or (self.accuracy, self.accuracy)
            estimate = (
                f"This export includes {n} made by the model. Estimated accuracy of "
                f"{MODEL_LABELS}: {accuracy_text(self.accuracy, interval, self.audited)}."
            )
        return (
            f"{estimate}\n\nTo know or improve it: route with an audit share in the Routing "
            "panel and review the audit items in the To review queue, label more items "
            "yourself, or export only people's labels (Label source: human)."
        )


def check_model_labels(db: sqlite_utils.Database, source: str) -> ModelLabelCheck:
    """What an export with label source ``source`` would take from the model."""
    if source not in _SOURCES_WITH_MODEL_LABELS:
        return ModelLabelCheck(0, None, None, 0)
    where = RecordFilter(label_source="model", route=_SOURCES_WITH_MODEL_LABELS[source])
    n = len(record_seqs(db, where))
    summary = routing_summary(db)
    quality = summary.get("quality") or {}
    accuracy = quality.get("ai_accuracy")
    if accuracy is not None and accuracy != accuracy:  # NaN: nothing to estimate from
        accuracy = None
    interval = quality.get("ai_interval")
    return ModelLabelCheck(
        n,
        accuracy,
        (float(interval[0]), float(interval[1])) if interval and accuracy is not None else None,
        int(summary.get("audited") or 0) if accuracy is not None else 0,
    )

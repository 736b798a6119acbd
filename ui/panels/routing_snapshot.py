"""What the routing panel shows, gathered off the GUI thread in one read of the project."""

from __future__ import annotations

from dataclasses import dataclass

from labeler.hours_budget import HoursPreview
from labeler.store.browse import Routable
from labeler.store.routes import RouteCounts
from labeler.types import Route, Status


@dataclass(frozen=True, slots=True)
class RoutingSnapshot:
    """Everything the panel shows, gathered off the GUI thread (``ui.jobs.routing_snapshot``).

    ``accuracy`` is the estimated label accuracy of the finished data set, with its 95%
    interval and the number of audited items it rests on; ``strategy``/``budget`` describe the
    last routing run (budget as a fraction of items; ``planned_hours`` and ``routed_human``
    for a run in hours). ``timed_labels`` counts the labels the rate rests on; ``hours`` is
    the pace behind a budget in hours, measured only while one is chosen.
    """

    counts: RouteCounts | None = None
    strategy: str | None = None
    budget: float | None = None
    accuracy: float | None = None
    accuracy_interval: tuple[float, float] | None = None
    audited: int | None = None
    more_audits: int | None = None
    labels_per_hour: float | None = None
    timed_labels: int | None = None
    routable: Routable | None = None
    pairs: int | None = None
    planned_hours: float | None = None
    routed_human: int | None = None
    hours: HoursPreview | None = None

    @property
    def reviewable(self) -> int | None:
        """Model labels a person could still review: waiting in review, or routed to the model."""
        if self.counts is None:
            return None
        return self.counts.get(Route.REVIEW, Status.TODO) + self.counts.get(
            Route.MODEL, Status.DONE
        )

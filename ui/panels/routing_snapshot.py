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

    ``accuracy`` is the estimated label accuracy of the whole finished data set (people's
    labels counted as right) and ``ai_accuracy`` that of the model's labels alone, each with
    its 95% interval, from ``audited`` items; ``strategy``/``budget`` describe the
    last routing run (budget as a fraction of items, None for a count of items;
    ``routed_human`` the items it sent to people; ``planned_hours`` for a run in hours;
    ``target`` (accuracy, confidence) for a run to a quality target). ``timed_labels`` counts
    the labels the rate rests on; ``hours`` is the pace behind a budget in hours, measured
    only while one is chosen.
    """

    counts: RouteCounts | None = None
    strategy: str | None = None
    budget: float | None = None
    accuracy: float | None = None
    accuracy_interval: tuple[float, float] | None = None
    audited: int | None = None
    ai_accuracy: float | None = None
    ai_interval: tuple[float, float] | None = None
    more_audits: int | None = None
    labels_per_hour: float | None = None
    timed_labels: int | None = None
    routable: Routable | None = None
    pairs: int | None = None
    planned_hours: float | None = None
    routed_human: int | None = None
    target: tuple[float, float] | None = None
    hours: HoursPreview | None = None

    @property
    def reviewable(self) -> int | None:
        """Model labels a person could still review: waiting in review, or routed to the model."""
        if self.counts is None:
            return None
        return self.counts.get(Route.REVIEW, Status.TODO) + self.counts.get(
            Route.MODEL, Status.DONE
        )

"""How many items sit in each route and queue state: the counts the routing panel shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.types import Route, Status

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class RouteCounts:
    """Items per (route, status); ``flagged`` counts flagged items across all routes."""

    counts: dict[tuple[Route, Status], int]
    flagged: int

    def route_total(self, route: Route) -> int:
        return sum(n for (r, _s), n in self.counts.items() if r is route)

    def status_total(self, status: Status) -> int:
        return sum(n for (_r, s), n in self.counts.items() if s is status)

    def get(self, route: Route, status: Status) -> int:
        return self.counts.get((route, status), 0)

    @property
    def human_remaining(self) -> int:
        """Items still waiting for a person: unlabelled human items plus unreviewed ones."""
        return self.get(Route.HUMAN, Status.TODO) + self.get(Route.REVIEW, Status.TODO)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def route_counts(db: sqlite_utils.Database) -> RouteCounts:
    """One grouped scan of the ``items_queue`` index (no table rows are read)."""
    counts: dict[tuple[Route, Status], int] = {}
    for route, status, n in db.conn.execute(
        "SELECT route, status, count(*) FROM items GROUP BY route, status"
    ):
        counts[(Route(route), Status(status))] = int(n)
    flagged = int(db.conn.execute("SELECT count(*) FROM items WHERE flagged = 1").fetchone()[0])
    return RouteCounts(counts, flagged)

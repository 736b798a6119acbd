"""Project counts for ``prefmark stats`` and the GUI sidebar: a handful of GROUP BY queries,
and one walk over the live labels for which label counts (``labeler.resolution``)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from labeler.resolution import ConflictPolicy
from labeler.store.labels import LIVE_LABEL
from labeler.store.meta import get_conflict_policy
from labeler.store.resolved import decisions
from labeler.store.routes import route_counts
from labeler.types import Route, Status

if TYPE_CHECKING:
    import sqlite_utils


def _grouped(db: sqlite_utils.Database, sql: str) -> dict[str, int]:
    return {str(key): int(n) for key, n in db.conn.execute(sql).fetchall()}


def resolved_counts(
    db: sqlite_utils.Database, policy: ConflictPolicy | None = None
) -> tuple[dict[str, int], int]:
    """(items by the source of their label that counts, items whose people disagree), under
    ``policy`` (None: the project's). Items whose conflict the policy drops count in the
    second number only."""
    by_source: Counter[str] = Counter()
    conflicts = 0
    for _group, decision in decisions(db, policy):
        conflicts += decision.conflict
        if decision.label is not None:
            by_source[decision.label.source] += 1
    return dict(sorted(by_source.items())), conflicts


def project_stats(db: sqlite_utils.Database) -> dict[str, Any]:
    """Counts by status, route, label source and annotator (live labels only), plus totals.

    ``labels_by_source`` counts the label that counts for each item (what training and an
    export use, under ``conflict_policy``); ``conflicts`` the items whose people's labels
    disagree; ``labels_by_annotator`` every live label event per annotator or model.
    """
    counts = route_counts(db)
    by_status = {s.value: n for s in Status if (n := counts.status_total(s))}
    by_route = {r.value: n for r in Route if (n := counts.route_total(r))}
    policy = get_conflict_policy(db)
    by_source, conflicts = resolved_counts(db, policy)
    return {
        "items": counts.total,
        "flagged": counts.flagged,
        "by_status": dict(sorted(by_status.items())),
        "by_route": dict(sorted(by_route.items())),
        "by_responses": _grouped(
            db, "SELECT n_responses, count(*) FROM items GROUP BY n_responses ORDER BY 1"
        ),
        "conflict_policy": policy.value,
        "conflicts": conflicts,
        "labels_by_source": by_source,
        "labels_by_annotator": _grouped(
            db,
            f"SELECT l.annotator, count(*) FROM labels l WHERE {LIVE_LABEL} "
            "GROUP BY l.annotator ORDER BY 1",
        ),
        "label_events": int(db.conn.execute("SELECT count(*) FROM labels").fetchone()[0]),
    }

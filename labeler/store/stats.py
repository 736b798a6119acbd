"""Project counts for ``prefmark stats`` and the GUI sidebar: a handful of GROUP BY queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labeler.store.labels import LABEL_PRECEDENCE, LIVE_LABEL
from labeler.store.progress_queries import route_counts
from labeler.types import Route, Status

if TYPE_CHECKING:
    import sqlite_utils


def _grouped(db: sqlite_utils.Database, sql: str) -> dict[str, int]:
    return {str(key): int(n) for key, n in db.conn.execute(sql).fetchall()}


def project_stats(db: sqlite_utils.Database) -> dict[str, Any]:
    """Counts by status, route, label source and annotator (live labels only), plus totals.

    ``labels_by_source`` counts the *resolved* label of each item (what an export would use);
    ``labels_by_annotator`` counts every live label event per annotator or model.
    """
    counts = route_counts(db)
    by_status = {s.value: n for s in Status if (n := counts.status_total(s))}
    by_route = {r.value: n for r in Route if (n := counts.route_total(r))}
    return {
        "items": counts.total,
        "flagged": counts.flagged,
        "by_status": dict(sorted(by_status.items())),
        "by_route": dict(sorted(by_route.items())),
        "by_responses": _grouped(
            db, "SELECT n_responses, count(*) FROM items GROUP BY n_responses ORDER BY 1"
        ),
        "labels_by_source": _grouped(
            db,
            f"""SELECT source, count(*) FROM (
                SELECT l.source, ROW_NUMBER() OVER (
                    PARTITION BY l.item_id ORDER BY {LABEL_PRECEDENCE}) AS rn
                FROM labels l JOIN items i ON i.id = l.item_id WHERE {LIVE_LABEL})
                WHERE rn = 1 GROUP BY source ORDER BY 1""",
        ),
        "labels_by_annotator": _grouped(
            db,
            f"SELECT l.annotator, count(*) FROM labels l WHERE {LIVE_LABEL} "
            "GROUP BY l.annotator ORDER BY 1",
        ),
        "label_events": int(db.conn.execute("SELECT count(*) FROM labels").fetchone()[0]),
    }

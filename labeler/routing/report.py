"""``routing_summary``: the routing state and estimated quality of a project, for ``stats``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labeler.routing.audit import estimate_quality, more_audits_needed
from labeler.store.routes import audit_outcomes, last_routing_run, route_counts
from labeler.types import Route, Status

if TYPE_CHECKING:
    import sqlite_utils

TARGET_HALF_WIDTH = 0.02


def routing_summary(
    db: sqlite_utils.Database, target_half_width: float = TARGET_HALF_WIDTH
) -> dict[str, Any]:
    """Routes, the last routing run, and the audit estimate of the finished set's accuracy.

    The estimate needs a random audit (``prefmark route ... --audit 0.05``) that humans have
    reviewed; until then ``quality`` is None. ``more_audits`` answers "how many more reviews
    until the AI-accuracy interval is +-``target_half_width``?" (None: not reachable).
    """
    counts = route_counts(db)
    done_by_human = counts.get(Route.HUMAN, Status.DONE)
    model = counts.get(Route.MODEL, Status.DONE)
    audited, confirmed = audit_outcomes(db)
    out: dict[str, Any] = {
        "routes": {r.value: n for r in Route if (n := counts.route_total(r))},
        "last_run": last_routing_run(db),
        "audited": audited,
        "confirmed": confirmed,
        # Only the audit routes to review, so unreviewed review items are the audit's backlog.
        "audit_waiting": counts.get(Route.REVIEW, Status.TODO),
        "quality": None,
    }
    if audited:
        est = estimate_quality(audited, confirmed, done_by_human + audited, model)
        out["quality"] = {
            "confidence": est.confidence,
            "ai_accuracy": est.ai_accuracy,
            "ai_interval": list(est.ai_interval),
            "hybrid_accuracy": est.hybrid_accuracy,
            "hybrid_interval": list(est.hybrid_interval),
            "target_half_width": target_half_width,
            "more_audits": more_audits_needed(est, target_half_width),
            "more_audits_hybrid": more_audits_needed(est, target_half_width, of="hybrid"),
        }
    return out

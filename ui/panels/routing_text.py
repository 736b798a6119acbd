"""The routing panel's sentences about the last run and the audit's accuracy estimates.

The audit gives two numbers (``labeler.routing.audit``): the accuracy of the model's labels,
which the export's warning also shows, and that of the whole finished set with people's
labels counted as right. Each is named in words, worded as everywhere else.
"""

from __future__ import annotations

from labeler.routing.audit import FINISHED_SET, MODEL_LABELS, accuracy_text
from ui.panels.formatting import DASH, duration, pct
from ui.panels.routing_snapshot import RoutingSnapshot


def last_run_text(snapshot: RoutingSnapshot) -> str:
    people = DASH if snapshot.routed_human is None else f"{snapshot.routed_human:,}"
    if snapshot.target is not None:
        accuracy, confidence = (round(100 * v, 1) for v in snapshot.target)
        return (
            f"{snapshot.strategy}, target {accuracy:g}% accuracy ({confidence:g}% "
            f"confidence): {people} items to people"
        )
    if snapshot.planned_hours is not None:
        return (
            f"{snapshot.strategy} in hours: {people} items, about "
            f"{duration(snapshot.planned_hours)} of labelling planned"
        )
    if snapshot.budget is None:  # a count of items
        return f"{snapshot.strategy}: {people} items to people"
    return f"{snapshot.strategy} at {pct(snapshot.budget, 0)}"


def _estimate(value: float, interval: tuple[float, float] | None, audited: int | None) -> str:
    if interval is None:
        return pct(value) + ("" if not audited else f", from {audited:,} audited items")
    return accuracy_text(value, interval, audited)


def estimates_text(snapshot: RoutingSnapshot) -> str:
    """Both estimates, each named; the reviews a ±2% interval on the model's labels takes."""
    if snapshot.accuracy is None and snapshot.ai_accuracy is None:
        return "no estimate yet: review a few audit items to get one"
    lines = []
    if snapshot.ai_accuracy is not None:
        estimate = _estimate(snapshot.ai_accuracy, snapshot.ai_interval, snapshot.audited)
        lines.append(f"of {MODEL_LABELS}: {estimate}")
    if snapshot.accuracy is not None:
        audited = None if lines else snapshot.audited
        estimate = _estimate(snapshot.accuracy, snapshot.accuracy_interval, audited)
        lines.append(f"of {FINISHED_SET}: {estimate}")
    more, left = snapshot.more_audits, snapshot.reviewable
    if more and left is not None and more > left:
        lines.append(
            f"±2% on the model's labels would take about {more:,} more reviews, but only "
            f"{left:,} model labels are left to review"
        )
    elif more:
        lines.append(f"about {more:,} more reviews for ±2% on the model's labels")
    return "\n".join(lines)

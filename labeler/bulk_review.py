"""Accept many model labels at once: the review items the model is surest of, and on request
the judge verdicts that state no confidence at all.

Each accepted item gets its own reviewed label (``Action.ACCEPT`` by the reviewer, superseding
the model label, with a rationale naming the threshold or saying there was no confidence),
exactly what accepting it by hand stores, so exports and undo treat them alike. All of them are
one transaction: one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.store.browse import RecordFilter, record_seqs
from labeler.store.labels import model_label, record_labels
from labeler.types import Action, Label, Route, Source, Status

if TYPE_CHECKING:
    import sqlite_utils

WAITING = RecordFilter(status=Status.TODO, route=Route.REVIEW)
"""The items bulk review acts on: routed to review and not yet reviewed."""


@dataclass(frozen=True)
class Candidates:
    """The waiting review items, by what their model label says about its own certainty."""

    sure: list[str]  # confidence at or above the threshold, surest first
    unrated: list[str]  # no confidence stated (an LLM judge's verdict), in import order
    waiting: int  # every review item not yet reviewed


def _ids(db: sqlite_utils.Database, seqs: list[int]) -> list[str]:
    if not seqs:
        return []
    marks = ",".join(str(s) for s in seqs)
    ids = dict(db.conn.execute(f"SELECT seq, id FROM items WHERE seq IN ({marks})").fetchall())
    return [ids[s] for s in seqs]


def review_candidates(db: sqlite_utils.Database, threshold: float) -> Candidates:
    """Unreviewed review items whose model label has confidence >= ``threshold`` (surest
    first), and those whose model label states no confidence.

    Confidence is the model's probability for its pick: 0.5 is a coin flip, 1.0 certain. A
    judge's verdict has none, so no threshold can admit it; the reviewer decides on those.
    """
    where = RecordFilter(status=Status.TODO, route=Route.REVIEW, min_confidence=threshold)
    sure = _ids(db, record_seqs(db, where, sort="confidence", descending=True))
    waiting = _ids(db, record_seqs(db, WAITING))
    unrated = []
    for item_id in waiting:
        model = model_label(db, item_id)
        if model is not None and model.value is not None and model.confidence is None:
            unrated.append(item_id)
    return Candidates(sure, unrated, len(waiting))


def accept_model_labels(
    db: sqlite_utils.Database,
    item_ids: Sequence[str],
    reviewer: str,
    threshold: float,
    unrated: bool = False,
) -> list[Label]:
    """Accept the model label of each item: those at or above ``threshold``, and those that
    state no confidence when ``unrated``; the others are left alone."""
    if not reviewer.strip():
        raise ValueError("an annotator name is needed to review")
    accepted = []
    for item_id in item_ids:
        model = model_label(db, item_id)
        if model is None or model.value is None:
            continue
        if model.confidence is None:
            if not unrated:
                continue
            why = f"accepted in bulk: {model.annotator}'s verdict, which states no confidence"
        elif model.confidence < threshold:
            continue
        else:
            why = (
                f"accepted in bulk: model confidence {model.confidence:.0%} "
                f"(threshold {threshold:.0%})"
            )
        accepted.append(
            Label(
                item_id=item_id,
                value=model.value,
                source=Source.HUMAN,
                annotator=reviewer.strip(),
                action=Action.ACCEPT,
                supersedes=model.id,
                rationale=why,
            )
        )
    return record_labels(db, accepted) if accepted else []

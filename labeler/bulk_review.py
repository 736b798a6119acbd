"""Accept many model labels at once: the review items the model is surest of.

Each accepted item gets its own reviewed label (``Action.ACCEPT`` by the reviewer, superseding
the model label, with a rationale naming the threshold), exactly what accepting it by hand
stores, so exports and undo treat them alike. All of them are one transaction: one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from labeler.store.browse import RecordFilter, record_seqs
from labeler.store.labels import model_label, record_labels
from labeler.types import Action, Label, Route, Source, Status

if TYPE_CHECKING:
    import sqlite_utils


def review_candidates(db: sqlite_utils.Database, threshold: float) -> list[str]:
    """Unreviewed review items whose model label has confidence >= ``threshold``, surest first.

    Confidence is the model's probability for its pick: 0.5 is a coin flip, 1.0 certain.
    """
    where = RecordFilter(status=Status.TODO, route=Route.REVIEW, min_confidence=threshold)
    seqs = record_seqs(db, where, sort="confidence", descending=True)
    if not seqs:
        return []
    marks = ",".join(str(s) for s in seqs)
    ids = dict(db.conn.execute(f"SELECT seq, id FROM items WHERE seq IN ({marks})").fetchall())
    return [ids[s] for s in seqs]


def accept_model_labels(
    db: sqlite_utils.Database, item_ids: Sequence[str], reviewer: str, threshold: float
) -> list[Label]:
    """Accept the model label of each item (those below ``threshold`` are left alone)."""
    if not reviewer.strip():
        raise ValueError("an annotator name is needed to review")
    accepted = []
    for item_id in item_ids:
        model = model_label(db, item_id)
        if model is None or model.value is None or model.confidence is None:
            continue
        if model.confidence < threshold:
            continue
        accepted.append(
            Label(
                item_id=item_id,
                value=model.value,
                source=Source.HUMAN,
                annotator=reviewer.strip(),
                action=Action.ACCEPT,
                supersedes=model.id,
                rationale=(
                    f"accepted in bulk: model confidence {model.confidence:.0%} "
                    f"(threshold {threshold:.0%})"
                ),
            )
        )
    return record_labels(db, accepted) if accepted else []

"""Label facts for the bias and agreement numbers, streamed item by item.

One keyset-paginated walk over the ``labels_item`` index; the JSON values are picked apart by
SQLite (``json_extract``) so Python only sees small tuples. The arithmetic lives in
``labeler.agreement``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labeler.agreement import IDLE_CAP_MS, AgreementReport, LabelFact, compute_report
from labeler.types import Action, PairChoice, Source

if TYPE_CHECKING:
    import sqlite_utils

TRAINED_KINDS = ("default-head",)
"""Kinds of registered model trained on the project's own labels (compared to the second, a
human label made in the second the model was saved counts as training data)."""

_FACTS_SQL = """
SELECT l.id, l.item_id, l.source, l.annotator, l.action, l.kind,
       json_extract(l.value, '$.choice'),
       json_extract(l.value, '$.aspects.overall'),
       json_extract(l.shown_order, '$[0]'),
       l.time_ms,
       (SELECT group_concat(s.action) FROM labels s WHERE s.supersedes = l.id),
       substr(l.created_at, 1, 19),
       (SELECT substr(m.created_at, 1, 19) FROM models m
        WHERE m.version = l.model_version AND m.kind IN ({trained}))
FROM labels l
WHERE (l.item_id, l.id) > (?, ?)
ORDER BY l.item_id, l.id
LIMIT ?
""".format(trained=", ".join(f"'{k}'" for k in TRAINED_KINDS))


def _choice(kind: str | None, choice: str | None, overall: Any) -> PairChoice | None:
    if kind == "pairwise" and choice is not None:
        return PairChoice(choice)
    if kind == "aspects" and overall is not None:
        v = int(overall)
        return PairChoice.TIE if v == 0 else PairChoice.A if v < 0 else PairChoice.B
    return None


def _fact(row: tuple[Any, ...]) -> LabelFact:
    lid, item_id, source, annotator, action, kind, choice, overall, left, time_ms, sup = row[:11]
    created_at, trained_at = row[11:13]
    return LabelFact(
        label_id=int(lid),
        item_id=str(item_id),
        source=Source(source),
        annotator=str(annotator),
        action=Action(action),
        choice=_choice(kind, choice, overall),
        left_index=None if left is None else int(left),
        time_ms=None if time_ms is None else int(time_ms),
        superseded_by=tuple(Action(a) for a in sup.split(",")) if sup else (),
        created_at=created_at,
        trained_at=trained_at,
    )


def iter_label_facts(db: sqlite_utils.Database, chunk_size: int = 5000) -> Iterator[LabelFact]:
    """Every label event as a ``LabelFact``, ordered by item then event id (bounded memory)."""
    after: tuple[str, int] = ("", -1)
    while True:
        rows = db.conn.execute(_FACTS_SQL, (*after, chunk_size)).fetchall()
        if not rows:
            return
        for row in rows:
            yield _fact(row)
        after = (str(rows[-1][1]), int(rows[-1][0]))


def iter_item_facts(
    db: sqlite_utils.Database, chunk_size: int = 5000
) -> Iterator[list[LabelFact]]:
    """The label facts grouped per item (an item's events may span two chunks)."""
    for _item_id, group in itertools.groupby(
        iter_label_facts(db, chunk_size), key=lambda f: f.item_id
    ):
        yield list(group)


def count_labels(db: sqlite_utils.Database) -> int:
    """Number of label events, as the total for a progress bar."""
    return int(db.conn.execute("SELECT count(*) FROM labels").fetchone()[0])


def agreement_report(db: sqlite_utils.Database) -> AgreementReport:
    """Position bias, human-AI agreement and time per item for the whole project."""
    return compute_report(iter_item_facts(db))


def labelling_rate(db: sqlite_utils.Database) -> float | None:
    """Human label events per hour of labelling time (idle time capped), or None if untimed.

    The same rate as ``AgreementReport.labels_per_hour``, in one aggregate query, so the
    routing panel can show it without walking every label.
    """
    n, total = db.conn.execute(
        "SELECT count(*), sum(min(max(time_ms, 0), ?)) FROM labels "
        "WHERE source != 'model' AND action != 'retract' AND time_ms IS NOT NULL",
        (IDLE_CAP_MS,),
    ).fetchone()
    return 3_600_000 * n / total if total else None

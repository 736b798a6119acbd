"""Every item as a browsable record: filter and sort in SQL, details one page at a time.

``record_seqs`` answers which items match a filter, in the chosen order (one indexed scan that
returns only integers, so it stays quick at a million items); ``record_rows`` reads a page of
them with the label that counts (``labeler.resolution``, via ``decisions``) and the model label
the review queue shows (``model_label``). A table view asks for pages as they scroll into view.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labeler.db import transaction
from labeler.resolution import LiveLabel
from labeler.store.labels import LIVE_LABEL, model_label
from labeler.store.resolved import decisions
from labeler.types import Route, Status, prompt_from_json

if TYPE_CHECKING:
    import sqlite_utils

LABEL_SOURCES = ("human", "model", "none")
"""Which label counts for an item: a person's, the model's (no person labelled it), none."""

_LIVE_OF_ITEM = f"SELECT 1 FROM labels l WHERE l.item_id = items.id AND {LIVE_LABEL}"
_SOURCE_FILTERS = {
    # people's labels count before the model's (labeler.resolution, rule 1)
    "human": f"EXISTS ({_LIVE_OF_ITEM} AND l.source != 'model')",
    "model": f"EXISTS ({_LIVE_OF_ITEM} AND l.source = 'model') "
    f"AND NOT EXISTS ({_LIVE_OF_ITEM} AND l.source != 'model')",
    "none": f"NOT EXISTS ({_LIVE_OF_ITEM})",
}

_MODEL_OF_ITEM = (
    "FROM labels l WHERE l.item_id = items.id AND l.source = 'model' AND l.action != 'retract' "
    "AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id AND s.action = 'retract' "
    "AND s.source = 'model')"
)
_TRUSTED = "AND l.annotator IN (items.ai_source, replace(items.ai_source, '@swapped', ''))"
MODEL_CONFIDENCE_SQL = (
    f"(CASE WHEN EXISTS (SELECT 1 {_MODEL_OF_ITEM} {_TRUSTED}) "
    f"THEN (SELECT l.confidence {_MODEL_OF_ITEM} {_TRUSTED} ORDER BY l.id DESC LIMIT 1) "
    f"ELSE (SELECT l.confidence {_MODEL_OF_ITEM} ORDER BY l.id DESC LIMIT 1) END)"
)
"""The confidence of the model label ``labels.model_label`` picks, as a sort key: the
trusted AI source's latest label first (``resolution.model_choice``), else the latest."""

SORT_KEYS: dict[str, str] = {
    "seq": "seq",
    "prompt": "prompt",
    "status": "status",
    "route": "route",
    "flagged": "flagged",
    "confidence": MODEL_CONFIDENCE_SQL,
    "label_source": f"CASE WHEN {_SOURCE_FILTERS['human']} THEN 0 "
    f"WHEN {_SOURCE_FILTERS['model']} THEN 1 ELSE 2 END",
}


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which items to list; every field left as None (or "") matches everything."""

    status: Status | None = None
    route: Route | None = None
    label_source: str | None = None
    annotator: str | None = None
    flagged: bool | None = None
    tag: str | None = None
    text: str = ""
    min_confidence: float | None = None

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.status is not None:
            parts.append("status = ?")
            params.append(self.status.value)
        if self.route is not None:
            parts.append("route = ?")
            params.append(self.route.value)
        if self.label_source is not None:
            parts.append(_SOURCE_FILTERS[self.label_source])
        if self.annotator:
            parts.append(f"EXISTS ({_LIVE_OF_ITEM} AND l.annotator = ?)")
            params.append(self.annotator)
        if self.flagged is not None:
            parts.append("flagged = ?")
            params.append(int(self.flagged))
        if self.tag:
            parts.append("EXISTS (SELECT 1 FROM json_each(items.tags) WHERE value = ?)")
            params.append(self.tag)
        if self.text:
            pattern = (
                "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            parts.append("(prompt LIKE ? ESCAPE '\\' OR responses LIKE ? ESCAPE '\\')")
            params += [pattern, pattern]
        if self.min_confidence is not None:
            parts.append(f"{MODEL_CONFIDENCE_SQL} >= ?")
            params.append(self.min_confidence)
        return (" WHERE " + " AND ".join(parts)) if parts else "", params


def record_seqs(
    db: sqlite_utils.Database,
    where: RecordFilter = RecordFilter(),
    sort: str = "seq",
    descending: bool = False,
) -> list[int]:
    """The ``seq`` of every matching item, in order (ties in import order)."""
    clause, params = where.where()
    direction = "DESC" if descending else "ASC"
    sql = f"SELECT seq FROM items{clause} ORDER BY {SORT_KEYS[sort]} {direction}"
    if sort != "seq":
        sql += ", seq"
    return [row[0] for row in db.conn.execute(sql, params)]


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One item as the browser lists it."""

    seq: int
    item_id: str
    prompt: str
    n_responses: int
    status: Status
    route: Route
    flagged: bool
    tags: tuple[str, ...]
    label: LiveLabel | None
    conflict: bool
    model_confidence: float | None

    @property
    def label_source(self) -> str:
        if self.label is None:
            return "none"
        return "model" if self.label.source == "model" else "human"


def _prompt_text(raw: str) -> str:
    prompt = prompt_from_json(json.loads(raw))
    if isinstance(prompt, str):
        return prompt
    users = [m.content for m in prompt if m.role == "user"]
    return users[-1] if users else (prompt[-1].content if prompt else "")


def record_rows(db: sqlite_utils.Database, seqs: Sequence[int]) -> list[RecordRow]:
    """The records of ``seqs`` (at most a page), in the order given."""
    if not seqs:
        return []
    marks = ",".join(str(int(s)) for s in seqs)
    rows = {
        r[0]: r
        for r in db.conn.execute(
            "SELECT seq, id, prompt, n_responses, status, route, flagged, tags FROM items "
            f"WHERE seq IN ({marks})"
        )
    }
    decided = {
        group.seq: decision
        for group, decision in decisions(db, item_filter=f"AND seq IN ({marks})")
    }
    out = []
    for seq in seqs:
        if seq not in rows:
            continue
        _s, item_id, prompt, n, status, route, flagged, tags = rows[seq]
        decision = decided.get(seq)
        shown_model = model_label(db, item_id)
        out.append(
            RecordRow(
                seq=seq,
                item_id=item_id,
                prompt=_prompt_text(prompt),
                n_responses=int(n),
                status=Status(status),
                route=Route(route),
                flagged=bool(flagged),
                tags=tuple(json.loads(tags)) if tags else (),
                label=None if decision is None else decision.label,
                conflict=bool(decision and decision.conflict),
                model_confidence=None if shown_model is None else shown_model.confidence,
            )
        )
    return out


def pair_count(db: sqlite_utils.Database) -> int:
    """Items with two responses (the ones routing routes); reads every item."""
    return int(db.conn.execute("SELECT count(*) FROM items WHERE n_responses = 2").fetchone()[0])


def _people_labelled(db: sqlite_utils.Database, pairs: bool) -> int:
    """Items (of two responses, or of more) with a person's live label."""
    return int(db.conn.execute(
        "SELECT count(DISTINCT l.item_id) FROM labels l JOIN items i ON i.id = l.item_id "
        f"WHERE l.source != 'model' AND i.n_responses {'=' if pairs else '!='} 2 "
        f"AND {LIVE_LABEL}"
    ).fetchone()[0])  # fmt: skip


def routable_count(db: sqlite_utils.Database, pairs: int | None = None) -> int:
    """Items routing can send somewhere: two responses and no person's label yet.

    ``pairs`` is ``pair_count`` when known (it changes only on import); the labelled ones are
    counted from people's labels, so this stays quick when few items are labelled.
    """
    pairs = pair_count(db) if pairs is None else pairs
    return pairs - _people_labelled(db, pairs=True)


@dataclass(frozen=True, slots=True)
class Routable:
    """What a routing budget is a share of, and why it is not the sidebar's To label.

    ``items``: two-response items no person has labelled (``routable_count``), ``by_model`` of
    them labelled by the model now (routing may send those to people instead); ``listwise``:
    items of other sizes no person has labelled, which routing never sends: always people's.
    """

    items: int
    by_model: int
    listwise: int


def routable_items(db: sqlite_utils.Database, pairs: int | None = None) -> Routable:
    pairs = pair_count(db) if pairs is None else pairs
    others = int(db.conn.execute(
        "SELECT count(*) FROM items WHERE n_responses != 2").fetchone()[0])  # fmt: skip
    by_model = db.conn.execute(
        "SELECT count(*) FROM items i WHERE i.route = 'model' AND i.status = 'done' "
        "AND i.n_responses = 2 AND NOT EXISTS (SELECT 1 FROM labels l WHERE "
        f"l.item_id = i.id AND l.source != 'model' AND {LIVE_LABEL})"
    ).fetchone()[0]
    return Routable(
        routable_count(db, pairs), int(by_model), others - _people_labelled(db, pairs=False)
    )


def record_annotators(db: sqlite_utils.Database) -> list[str]:
    """Everyone (people and models) with a label in the project, by name."""
    return [r[0] for r in db.conn.execute("SELECT DISTINCT annotator FROM labels ORDER BY 1")]


def serve_skipped_again(db: sqlite_utils.Database, seqs: Sequence[int] | None = None) -> int:
    """Put skipped items (all, or those of ``seqs``) back in their queue; returns how many."""
    sql = "UPDATE items SET status = 'todo' WHERE status = 'skipped'"
    if seqs is not None:
        sql += f" AND seq IN ({','.join(str(int(s)) for s in seqs)})"
    with transaction(db.conn):
        return int(db.conn.execute(sql).rowcount)


def recent_decisions(db: sqlite_utils.Database, annotator: str, limit: int = 500) -> list[str]:
    """The items ``annotator`` decided most recently that are still decided, oldest first:
    the history a labelling session starts with, so going back works after a restart."""
    rows = db.conn.execute(
        "SELECT l.item_id, max(l.id) AS last FROM labels l JOIN items i ON i.id = l.item_id "
        f"WHERE l.annotator = ? AND l.source != 'model' AND {LIVE_LABEL} AND i.status = 'done' "
        "GROUP BY l.item_id ORDER BY last DESC LIMIT ?",
        (annotator, limit),
    ).fetchall()
    return [r[0] for r in reversed(rows)]

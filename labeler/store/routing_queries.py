"""SQL for routing: gather AI opinions, human labels, scores and embeddings; write routes.

Label values are read as choice codes (``labeler.resolution.choice_code``): ``0`` = A better,
``1`` = B better, ``-1`` = a tie, both bad, or nothing said about the pair. An item's human
label is the decision ``labeler.resolution`` makes on its people's labels under the
project's conflict policy, the same one training and export use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.db import transaction
from labeler.resolution import (
    ConflictPolicy,
    LiveLabel,
    choice_code,
    model_choice,
    resolve,
)
from labeler.store.labels import LIVE_LABEL
from labeler.store.meta import get_conflict_policy, get_schema
from labeler.types import Status

if TYPE_CHECKING:
    import sqlite_utils

ROUTE_CODES = ("human", "model", "review")


@dataclass
class RoutingArrays:
    """Per item (two-response items, import order): ids, human labels, AI opinions.

    ``human`` is the decision that counts among everyone's labels (-1: none, a tie, or a
    conflict the policy drops); ``human_by`` has each annotator's own decision (-2 = none
    from that annotator): what an export of that annotator's labels would write.

    ``opinions`` maps an AI source (annotator, plus ``@swapped`` when shown B first) to its
    choice codes (-2 = no label from that source) and confidences (NaN if none).
    """

    ids: list[str]
    human: np.ndarray
    has_human: np.ndarray
    human_by: dict[str, np.ndarray] = field(default_factory=dict)
    opinions: dict[str, np.ndarray] = field(default_factory=dict)
    confidence: dict[str, np.ndarray] = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)
    responses_a: list[str] = field(default_factory=list)
    responses_b: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    turns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _prompt_text(raw: str) -> tuple[str, int]:
    value = json.loads(raw)
    if isinstance(value, str):
        return value, 1
    turns = sum(1 for m in value if m.get("role") == "user")
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in value), turns


_PEOPLE_SQL = f"""
    SELECT l.item_id, {", ".join(f"l.{c}" for c in LiveLabel._fields)}
    FROM labels l WHERE l.source != 'model' AND l.value IS NOT NULL AND {LIVE_LABEL}
    ORDER BY l.item_id, l.id"""


def people_labels(db: sqlite_utils.Database) -> Iterator[tuple[str, list[LiveLabel]]]:
    """(item id, its live people's labels oldest first) for every item people labelled."""
    new = tuple.__new__
    for item_id, rows in groupby(db.conn.execute(_PEOPLE_SQL), itemgetter(0)):
        yield item_id, [new(LiveLabel, r[1:]) for r in rows]


def routing_arrays(
    db: sqlite_utils.Database, with_text: bool = True, policy: ConflictPolicy | None = None
) -> RoutingArrays:
    """Everything routing needs from the labels table, in one pass per query.

    Human label = the decision ``labeler.resolution`` makes on the item's people's labels
    under ``policy`` (None: the project's), also per annotator; AI opinions = latest live
    model label per (annotator, presentation order).
    """
    conn = db.conn
    policy = get_conflict_policy(db) if policy is None else policy
    unranked_last = get_schema(db).top_k is not None
    rows = conn.execute(
        "SELECT id, prompt, responses, metadata FROM items WHERE n_responses = 2 ORDER BY seq"
        if with_text
        else "SELECT id, NULL, NULL, NULL FROM items WHERE n_responses = 2 ORDER BY seq"
    ).fetchall()
    ids = [r[0] for r in rows]
    index = {item_id: i for i, item_id in enumerate(ids)}
    n = len(ids)
    arrays = RoutingArrays(
        ids=ids, human=np.full(n, -1, dtype=np.int8), has_human=np.zeros(n, dtype=bool)
    )
    if with_text:
        texts = [_prompt_text(r[1]) for r in rows]
        arrays.prompts = [t for t, _ in texts]
        arrays.turns = np.array([k for _, k in texts], dtype=np.int64)
        responses = [json.loads(r[2]) for r in rows]
        arrays.responses_a = [r[0]["text"] for r in responses]
        arrays.responses_b = [r[1]["text"] for r in responses]
        arrays.metadata = [json.loads(r[3]) if r[3] else {} for r in rows]
    human_by = arrays.human_by
    for item_id, labels in people_labels(db):
        i = index.get(item_id)
        if i is None:
            continue
        arrays.has_human[i] = True
        if len(labels) == 1:  # the common case: one person's one label
            only = labels[0]
            code = choice_code(only.kind, only.value, unranked_last)
            arrays.human[i] = code
            _by(human_by, only.annotator, n)[i] = code
            continue
        arrays.human[i] = resolve(labels, policy).code(unranked_last=unranked_last)
        for annotator in dict.fromkeys(lab.annotator for lab in labels):
            own = [lab for lab in labels if lab.annotator == annotator]
            _by(human_by, annotator, n)[i] = resolve(own, policy).code(unranked_last=unranked_last)
    model_sql = f"""
        SELECT item_id, annotator, shown_order, kind, value, confidence FROM (
            SELECT l.*, ROW_NUMBER() OVER (
                PARTITION BY l.item_id, l.annotator, coalesce(l.shown_order, '')
                ORDER BY l.id DESC) AS rn
            FROM labels l WHERE l.source = 'model' AND {LIVE_LABEL}
        ) WHERE rn = 1"""
    for item_id, annotator, shown, kind, value, conf in conn.execute(model_sql):
        if item_id not in index:
            continue
        key = annotator + ("@swapped" if shown and json.loads(shown)[0] == 1 else "")
        if key not in arrays.opinions:
            arrays.opinions[key] = np.full(n, -2, dtype=np.int8)
            arrays.confidence[key] = np.full(n, np.nan)
        arrays.opinions[key][index[item_id]] = choice_code(kind, value, unranked_last)
        if conf is not None:
            arrays.confidence[key][index[item_id]] = conf
    return arrays


def _by(human_by: dict[str, np.ndarray], annotator: str, n: int) -> np.ndarray:
    """The annotator's codes (-2 = no label from them), created on first use."""
    codes = human_by.get(annotator)
    if codes is None:
        codes = human_by[annotator] = np.full(n, -2, dtype=np.int8)
    return codes


def reward_margins(
    db: sqlite_utils.Database, ids: Sequence[str], model_version: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per item: reward difference r_B - r_A and its spread (NaN where unscored)."""
    index = {item_id: i for i, item_id in enumerate(ids)}
    rewards = np.full((len(ids), 2), np.nan)
    spread = np.full((len(ids), 2), np.nan)
    for item_id, idx, reward, unc in db.conn.execute(
        "SELECT item_id, response_idx, reward, uncertainty FROM scores "
        "WHERE model_version = ? AND response_idx < 2",
        (model_version,),
    ):
        if item_id in index:
            rewards[index[item_id], idx] = reward
            spread[index[item_id], idx] = np.nan if unc is None else unc
    return rewards[:, 1] - rewards[:, 0], np.sqrt(np.sum(spread**2, axis=1))


def latest_model_version(db: sqlite_utils.Database) -> str | None:
    """The newest registered model that has scores (any scored model if none is registered)."""
    row = (
        db.conn.execute(
            "SELECT m.version FROM models m WHERE EXISTS "
            "(SELECT 1 FROM scores s WHERE s.model_version = m.version) "
            "ORDER BY m.created_at DESC LIMIT 1"
        ).fetchone()
        or db.conn.execute("SELECT model_version FROM scores LIMIT 1").fetchone()
    )
    return None if row is None else str(row[0])


def response_embeddings(
    db: sqlite_utils.Database, ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Float32 embeddings of responses A and B from the most common encoder, if complete."""
    row = db.conn.execute(
        "SELECT encoder FROM embeddings GROUP BY encoder ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    index = {item_id: i for i, item_id in enumerate(ids)}
    vecs: dict[tuple[int, int], np.ndarray] = {}
    for item_id, idx, blob in db.conn.execute(
        "SELECT item_id, response_idx, vector FROM embeddings WHERE encoder = ? "
        "AND response_idx < 2",
        (row[0],),
    ):
        if item_id in index:
            vecs[index[item_id], idx] = np.frombuffer(blob, dtype=np.float32)
    if len(vecs) != 2 * len(ids) or not vecs:
        return None
    a = np.stack([vecs[i, 0] for i in range(len(ids))])
    b = np.stack([vecs[i, 1] for i in range(len(ids))])
    return a, b


def write_routes(
    db: sqlite_utils.Database,
    ids: Sequence[str],
    route: np.ndarray,
    priority: np.ndarray,
    eligible: np.ndarray,
    *,
    strategy: str,
    budget: float,
    seed: int | None,
    params: dict[str, Any],
    summary: dict[str, Any],
    has_ai: np.ndarray | None = None,
) -> int:
    """Store a decision for the eligible items and log the run; returns the run id.

    Human and review items become ``todo`` (their queues are ``status='todo' AND route=...``
    ordered by priority); model items that have an AI label become ``done``, since the
    accepted AI label is their label. Items with a human label are never touched, including
    those labelled while this decision was being made (checked inside the write transaction).
    ``params["ai"]`` names the AI source whose labels the decision trusted; it is kept per item
    so that source's label is the one that counts among several model labels.
    """
    rows = [
        (
            ROUTE_CODES[int(route[i])],
            float(priority[i]),
            strategy,
            "done" if int(route[i]) == 1 and (has_ai is None or has_ai[i]) else "todo",
            params.get("ai"),
            ids[int(i)],
        )
        for i in np.flatnonzero(eligible)
    ]
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    # Items this run does not decide (listwise items, say) queue after the ones it ranked,
    # so a person gets the most valuable routed items first.
    after_ranked = float(max((r[1] for r in rows if r[0] == "human"), default=-1.0)) + 1.0
    with transaction(db.conn):
        db.conn.execute(
            "UPDATE items SET priority = ? WHERE status = 'todo' AND route = 'human'",
            (after_ranked,),
        )
        db.conn.executemany(
            "UPDATE items SET route = ?, priority = ?, routed_by = ?, status = ?, ai_source = ? "
            # decided on a snapshot: an item a person labelled meanwhile keeps its label
            f"WHERE id = ? AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.item_id = items.id "
            f"AND l.source != 'model' AND {LIVE_LABEL})",
            rows,
        )
        cur = db.conn.execute(
            "INSERT INTO routing_runs (strategy, budget, seed, params, summary, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (strategy, budget, seed, json.dumps(params), json.dumps(summary), now),
        )
    return int(cur.lastrowid or 0)


def audit_outcomes(
    db: sqlite_utils.Database, policy: ConflictPolicy | None = None
) -> tuple[int, int]:
    """(audited, confirmed) over review-routed items that people have since labelled.

    The people's verdict is their decision that counts (``labeler.resolution`` under
    ``policy``, None: the project's); it confirms the model label the review showed (see
    ``queue_queries.model_label``) when it accepts it or states the same choice. An item whose
    conflict the policy drops is not audited. (Naming every status lets the ``items_queue``
    index, which leads with the status, find the review-routed items without reading the whole
    table.)
    """
    policy = get_conflict_policy(db) if policy is None else policy
    unranked_last = get_schema(db).top_k is not None
    statuses = ", ".join(f"'{s.value}'" for s in Status)
    sql = f"""
        SELECT i.id, i.ai_source, {", ".join(f"l.{c}" for c in LiveLabel._fields)}
        FROM items i JOIN labels l ON l.item_id = i.id
        WHERE i.status IN ({statuses}) AND i.route = 'review' AND l.value IS NOT NULL
          AND CASE WHEN l.source = 'model'
              THEN NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id
                               AND s.action = 'retract' AND s.source = 'model')
              ELSE {LIVE_LABEL} END
        ORDER BY i.id, l.id"""
    audited = confirmed = 0
    new = tuple.__new__
    for (_id, ai_source), rows in groupby(db.conn.execute(sql), itemgetter(0, 1)):
        labels = [new(LiveLabel, r[2:]) for r in rows]
        people = [lab for lab in labels if lab.source != "model"]
        decision = resolve(people, policy)
        if decision.label is None:
            continue
        audited += 1
        if decision.label.action == "accept":
            confirmed += 1
            continue
        shown = model_choice([lab for lab in labels if lab.source == "model"], ai_source)
        h = decision.code(unranked_last=unranked_last)
        m = -1 if shown is None else choice_code(shown.kind, shown.value, unranked_last)
        confirmed += int(h >= 0 and h == m)
    return audited, confirmed


def last_routing_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    row = db.conn.execute(
        "SELECT id, strategy, budget, seed, params, summary, created_at FROM routing_runs "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return {
        "id": row[0],
        "strategy": row[1],
        "budget": row[2],
        "seed": row[3],
        "params": json.loads(row[4] or "{}"),
        "summary": json.loads(row[5] or "{}"),
        "created_at": row[6],
    }


def item_ids_by_key(db: sqlite_utils.Database, key: str) -> dict[str, str]:
    """Map a metadata field's value (as text) to item ids; ``key='id'`` maps ids to themselves.

    Used to attach judge verdicts computed elsewhere to the items they judge.
    """
    if key == "id":
        return {r[0]: r[0] for r in db.conn.execute("SELECT id FROM items")}
    rows = db.conn.execute(
        "SELECT CAST(json_extract(metadata, ?) AS TEXT), id FROM items "
        "WHERE json_extract(metadata, ?) IS NOT NULL",
        (f'$."{key}"', f'$."{key}"'),
    )
    return {str(value): item_id for value, item_id in rows}


def project_trained_sources(db: sqlite_utils.Database) -> set[str]:
    """Annotators of model labels made by a model trained on this project's human labels.

    That is any model registered with kind ``default-head`` (``prefmark train``); judging
    routing against the same human labels such a model learnt from flatters it.
    """
    rows = db.conn.execute(
        "SELECT DISTINCT l.annotator FROM labels l JOIN models m ON m.version = l.model_version "
        "WHERE l.source = 'model' AND m.kind = 'default-head'"
    )
    return {str(r[0]) for r in rows}

"""Routes: what routing reads (AI opinions, human labels), writes (routes, audit), and counts.

Label values are read as choice codes (``labeler.resolution.choice_code``): ``0`` = A better,
``1`` = B better, ``-1`` = a tie, both bad, or nothing said about the pair. An item's human
label is the decision ``labeler.resolution`` makes on its people's labels under the
project's conflict policy, the same one training and export use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    Weigh,
    choice_code,
    model_choice,
    resolve,
)
from labeler.store.labels import LIVE_LABEL, people_labels
from labeler.store.meta import get_conflict_policy, get_schema
from labeler.types import Route, Status

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
    weigh = _weigher(db, policy)
    # ``dawid-skene`` weighs a conflict with every live label of the item, as every other
    # consumer of ``resolve`` does; the others read people's labels only.
    for item_id, labels in people_labels(db, with_model=weigh is not None):
        i = index.get(item_id)
        if i is None:
            continue
        arrays.has_human[i] = True
        people = labels if weigh is None else [lab for lab in labels if lab.source != "model"]
        if len(people) == 1:  # the common case: one person's one label
            only = people[0]
            code = choice_code(only.kind, only.value, unranked_last)
            arrays.human[i] = code
            _by(human_by, only.annotator, n)[i] = code
            continue
        arrays.human[i] = resolve(labels, policy, None, weigh).code(unranked_last=unranked_last)
        # An adjudication settles the item but is nobody's own answer: agreement, each
        # annotator's quality and ``--human`` replays read only people's own labels.
        answers = [lab for lab in people if lab.action != "adjudicate"]
        for annotator in dict.fromkeys(lab.annotator for lab in answers):
            own = [lab for lab in answers if lab.annotator == annotator]
            code = resolve(own, policy, None, weigh).code(unranked_last=unranked_last)
            _by(human_by, annotator, n)[i] = code
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


def _weigher(db: sqlite_utils.Database, policy: ConflictPolicy) -> Weigh | None:
    """``annotators.policy_weigher``; imported here because that module fits its model from
    ``routing_arrays`` (under ``majority``, so the two never call each other in a loop)."""
    from labeler.store.annotators import policy_weigher

    return policy_weigher(db, policy)


def _by(human_by: dict[str, np.ndarray], annotator: str, n: int) -> np.ndarray:
    """The annotator's codes (-2 = no label from them), created on first use."""
    codes = human_by.get(annotator)
    if codes is None:
        codes = human_by[annotator] = np.full(n, -2, dtype=np.int8)
    return codes


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
    """(audited, confirmed) over review-routed items that people have since labelled."""
    verdicts = audit_verdicts(db, policy)
    return len(verdicts), sum(verdicts.values())


def audit_verdicts(
    db: sqlite_utils.Database, policy: ConflictPolicy | None = None
) -> dict[str, bool]:
    """Per review-routed item that people have since labelled: did they confirm the AI label?
    (``audit_reviews`` without the AI label's code.)"""
    return {item_id: ok for item_id, (ok, _code) in audit_reviews(db, policy).items()}


def audit_reviews(
    db: sqlite_utils.Database, policy: ConflictPolicy | None = None
) -> dict[str, tuple[bool, int]]:
    """Per review-routed item that people have since labelled: did they confirm the AI label,
    and that label's choice code (-1: none found). The reviewed model label no longer counts
    as live, so routing's arrays lack it; a plan that ranks audited items beside the others
    needs it back.

    The people's verdict is their decision that counts (``labeler.resolution`` under
    ``policy``, None: the project's); it confirms the model label the review showed (see
    ``labels.model_label``) when it accepts it or states the same choice. An item whose
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
    out: dict[str, tuple[bool, int]] = {}
    weigh = _weigher(db, policy)
    new = tuple.__new__
    for (item_id, ai_source), rows in groupby(db.conn.execute(sql), itemgetter(0, 1)):
        labels = [new(LiveLabel, r[2:]) for r in rows]
        people = [lab for lab in labels if lab.source != "model"]
        decision = resolve(people, policy, None, weigh)
        if decision.label is None:
            continue
        shown = model_choice([lab for lab in labels if lab.source == "model"], ai_source)
        m = -1 if shown is None else choice_code(shown.kind, shown.value, unranked_last)
        if decision.label.action == "accept":
            out[item_id] = (True, m)
            continue
        h = decision.code(unranked_last=unranked_last)
        out[item_id] = (h >= 0 and h == m, m)
    return out


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


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many items sit in each sidebar queue."""

    to_label: int = 0
    to_review: int = 0
    done: int = 0
    skipped: int = 0
    flagged: int = 0
    total: int = 0
    done_by_model: int = 0  # of ``done``: routed to the model, labelled by no person


def queue_counts(db: sqlite_utils.Database) -> QueueCounts:
    """Counts for the human queue, the review queue, done, skipped and flagged items."""
    counts = route_counts(db)
    return QueueCounts(
        to_label=counts.get(Route.HUMAN, Status.TODO),
        to_review=counts.get(Route.REVIEW, Status.TODO),
        done=counts.status_total(Status.DONE),
        done_by_model=counts.get(Route.MODEL, Status.DONE),
        skipped=counts.status_total(Status.SKIPPED),
        flagged=counts.flagged,
        total=counts.total,
    )

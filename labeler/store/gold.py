"""Gold items: items whose right answer the project knows, to measure each annotator.

Answers live in the project's ``meta`` table (``gold.<item id>`` -> the answer's kind and
value), never in the label log: an annotator's file made by ``assign`` carries the item but
not its answer, so nothing on screen or in that file tells a gold item from another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.db import transaction
from labeler.resolution import decode, verdict
from labeler.store.labels import LIVE_LABEL
from labeler.types import LabelValue, value_from_json

if TYPE_CHECKING:
    import sqlite_utils

_PREFIX = "gold."


class UnknownGoldItemError(KeyError):
    """A gold answer names an item the project does not hold."""


def set_gold(db: sqlite_utils.Database, answers: Mapping[str, LabelValue]) -> int:
    """Store (or replace) gold answers, all or none; returns how many were stored."""
    with transaction(db.conn):
        for item_id, value in answers.items():
            if db.conn.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is None:
                raise UnknownGoldItemError(item_id)
            db.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (
                    _PREFIX + item_id,
                    json.dumps({"kind": value.kind.value, "value": value.to_json()}),
                ),
            )
    return len(answers)


def gold_answers(db: sqlite_utils.Database) -> dict[str, LabelValue]:
    """Every gold answer, by item id."""
    rows = db.conn.execute(
        "SELECT substr(key, ?), value FROM meta WHERE key > ? AND key < ?",
        (len(_PREFIX) + 1, _PREFIX, _PREFIX[:-1] + "/"),
    )
    answers: dict[str, LabelValue] = {}
    for item_id, raw in rows:
        data = json.loads(raw)
        answers[item_id] = value_from_json(data["kind"], data["value"])
    return answers


@dataclass(frozen=True, slots=True)
class GoldScore:
    """One annotator's live labels on gold items (of the answer's kind) and how many agree."""

    right: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def gold_accuracy(db: sqlite_utils.Database) -> dict[str, GoldScore]:
    """Per annotator: agreement with the gold answers (the verdict, as conflicts are judged).

    Counts people's own labels only; an adjudication is not an annotator's answer.
    """
    answers = gold_answers(db)
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for item_id, answer in answers.items():
        rows = db.conn.execute(
            f"SELECT l.annotator, l.kind, l.value FROM labels l WHERE l.item_id = ? "
            f"AND l.source = 'human' AND l.action != 'adjudicate' AND l.kind = ? "
            f"AND {LIVE_LABEL}",
            (item_id, answer.kind.value),
        )
        for annotator, kind, value in rows:
            total[annotator] = total.get(annotator, 0) + 1
            if verdict(decode(kind, value)) == verdict(answer):
                right[annotator] = right.get(annotator, 0) + 1
    return {a: GoldScore(right.get(a, 0), n) for a, n in sorted(total.items())}

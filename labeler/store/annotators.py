"""Everyone's answers on the project's two-response items, and the Dawid-Skene model of them.

The answers are each annotator's own decision per item (``routes.routing_arrays``:
``human_by`` for people, ``opinions`` for AI sources, a judge run with the responses swapped
as its own source) as choice categories: 0 = A better, 1 = tie, 2 = B better. The fitted
model is cached per project state (label count and newest label id), so the conflict policy
and an export do not refit it for every item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from labeler.dawid_skene import Model, fit
from labeler.resolution import ConflictPolicy, StoredLabel, choice_code, decode, label_pairs
from labeler.store.routes import routing_arrays
from labeler.team_agreement import CHOICE_CATEGORIES, MISSING

if TYPE_CHECKING:
    import sqlite_utils

CODE_TO_CATEGORY = {0: 0, -1: 1, 1: 2}
"""Choice codes (``resolution.choice_code``) as ordered categories: A < tie < B."""
CATEGORY_TO_CODE = {v: k for k, v in CODE_TO_CATEGORY.items()}


@dataclass(frozen=True)
class Answers:
    """Per two-response item (import order) and annotator: the category, or ``MISSING``."""

    ids: list[str]
    people: tuple[str, ...]
    ai: tuple[str, ...]
    ratings: np.ndarray  # (items, people + ai)

    @property
    def annotators(self) -> tuple[str, ...]:
        return self.people + self.ai


def _categories(codes: np.ndarray) -> np.ndarray:
    out = np.full(codes.shape, MISSING, dtype=np.int64)
    for code, cat in CODE_TO_CATEGORY.items():
        out[codes == code] = cat
    return out


def project_answers(db: sqlite_utils.Database) -> Answers:
    """Every annotator's and AI source's answer on every two-response item."""
    # Each person's own decision does not depend on the policy between people; majority
    # keeps this independent of the Dawid-Skene policy that is fitted from it.
    arrays = routing_arrays(db, with_text=False, policy=ConflictPolicy.MAJORITY)
    people = tuple(sorted(arrays.human_by))
    ai = tuple(sorted(arrays.opinions))
    columns = [arrays.human_by[p] for p in people] + [arrays.opinions[a] for a in ai]
    n = len(arrays.ids)
    ratings = (
        np.column_stack([_categories(c) for c in columns])
        if columns
        else np.full((n, 0), MISSING, dtype=np.int64)
    )
    return Answers(arrays.ids, people, ai, ratings)


def fit_answers(answers: Answers) -> tuple[Model, np.ndarray]:
    """The Dawid-Skene model of everyone's answers, and each item's posterior."""
    items, workers = np.nonzero(answers.ratings != MISSING)
    return fit(
        items,
        workers,
        answers.ratings[items, workers],
        annotators=answers.annotators,
        n_items=len(answers.ids),
        n_classes=CHOICE_CATEGORIES,
    )


_cache: dict[tuple[str, int, int], Model | None] = {}


def annotator_model(db: sqlite_utils.Database) -> Model | None:
    """The project's fitted model (None: no two-response item has an answer)."""
    count, newest = db.conn.execute("SELECT count(*), coalesce(max(id), 0) FROM labels").fetchone()
    path = db.conn.execute("PRAGMA database_list").fetchone()[2] or str(id(db.conn))
    key = (path, int(count), int(newest))
    if key not in _cache:
        answers = project_answers(db)
        _cache.clear()
        _cache[key] = None if not (answers.ratings != MISSING).any() else fit_answers(answers)[0]
    return _cache[key]


@dataclass(frozen=True)
class Weigher:
    """``resolution.Weigh`` over a fitted model: an item's posterior from its live labels."""

    model: Model

    def __call__(self, labels: Sequence[StoredLabel]) -> dict[int, float]:
        answers = []
        for lab in labels:
            code = choice_code(lab.kind, lab.value)
            multi = code == -1 and lab.kind not in ("pairwise", "aspects")
            if multi and label_pairs(decode(lab.kind, lab.value)):
                return {}  # an order of more than two responses: nothing to weigh
            answers.append((lab.annotator, CODE_TO_CATEGORY[code]))
        post = self.model.posterior(answers)
        return {CATEGORY_TO_CODE[c]: float(p) for c, p in enumerate(post)}


def project_weigher(db: sqlite_utils.Database) -> Weigher | None:
    """What the ``dawid-skene`` policy weighs an item's labels with (None: nothing fitted)."""
    model = annotator_model(db)
    return None if model is None else Weigher(model)


def policy_weigher(db: sqlite_utils.Database, policy: ConflictPolicy) -> Weigher | None:
    """The fitted annotator model the ``dawid-skene`` policy needs (None for the others)."""
    return project_weigher(db) if policy is ConflictPolicy.DAWID_SKENE else None

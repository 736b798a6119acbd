"""A team's numbers for one project: agreement between annotators, each annotator's estimated
accuracy (Dawid-Skene, no gold needed), and the labels most likely wrong.

Reads the store and hands plain results to ``prefmark stats`` and the Bias and agreement panel.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.label_errors import find_label_errors, out_of_fold
from labeler.resolution import decode, label_pairs
from labeler.store.annotators import CATEGORY_TO_CODE, Answers, fit_answers, project_answers
from labeler.store.embeddings import response_embeddings
from labeler.store.labels import people_labels
from labeler.team_agreement import (
    MISSING,
    Estimate,
    TeamAgreement,
    choice_agreement,
    ranking_agreement,
)

if TYPE_CHECKING:
    import sqlite_utils

CHOICE_NAMES = {0: "A", -1: "tie", 1: "B"}


def pair_signs(kind: str, value: str) -> dict[tuple[int, int], int]:
    """A label's order as +1 / -1 per response pair (i < j): +1 when i is placed above j."""
    signs: dict[tuple[int, int], int] = {}
    for win, lose in label_pairs(decode(kind, value)):
        signs[(min(win, lose), max(win, lose))] = 1 if win < lose else -1
    return signs


def tau_from_signs(a: dict[tuple[int, int], int], b: dict[tuple[int, int], int]) -> float:
    """Kendall's tau-b of two orders given as pair signs (an absent pair is a tie).

    >>> tau_from_signs({(0, 1): 1, (0, 2): 1, (1, 2): 1}, {(0, 1): 1, (0, 2): 1, (1, 2): -1})
    0.3333333333333333
    """
    denom = (len(a) * len(b)) ** 0.5
    return sum(s * b.get(p, 0) for p, s in a.items()) / denom if denom else float("nan")


def ranking_taus(db: sqlite_utils.Database) -> dict[tuple[str, str], list[float]]:
    """Per annotator pair, Kendall's tau on each item with three or more responses that both
    ordered (each person's latest label of the item's latest kind)."""
    taus: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _item, labels in people_labels(db):
        kind = labels[-1].kind
        if kind in ("pairwise", "aspects", "thumbs"):
            continue
        own = {lab.annotator: lab for lab in labels if lab.kind == kind}
        if len(own) < 2:
            continue
        signs = {name: pair_signs(lab.kind, lab.value) for name, lab in own.items()}
        if max((j for s in signs.values() for _, j in s), default=0) < 2:
            continue  # two responses: counted with the choices
        for first, second in combinations(sorted(signs), 2):
            taus[(first, second)].append(tau_from_signs(signs[first], signs[second]))
    return dict(taus)


def team_agreement(db: sqlite_utils.Database, answers: Answers | None = None) -> TeamAgreement:
    """Agreement between people (AI sources are left out) on choices and on rankings."""
    answers = project_answers(db) if answers is None else answers
    people = answers.ratings[:, : len(answers.people)]
    choices = choice_agreement(people, answers.people)
    return TeamAgreement(
        choices.annotators, choices.overall, choices.pairs, ranking_agreement(ranking_taus(db))
    )


@dataclass(frozen=True)
class SuspectLabel:
    """A person's label the model and judges dispute, with the chance it is wrong."""

    item_id: str
    annotator: str
    choice: str
    p_wrong: float


@dataclass(frozen=True)
class LabelQuality:
    """Each source's estimated accuracy, and the re-review queue with the error share."""

    accuracy: dict[str, float] = field(default_factory=dict)
    ai_sources: tuple[str, ...] = ()
    labels: int = 0
    queue: tuple[SuspectLabel, ...] = ()
    share: Estimate | None = None
    used_model: bool = False
    used_judges: bool = False

    @property
    def checked(self) -> bool:
        """Whether anything but people's own labels could check them."""
        return self.labels > 0 and (self.used_model or self.used_judges)

    @property
    def evidence(self) -> str:
        """What checked the labels, in words."""
        if self.used_model and self.used_judges:
            return "the model and the AI judges"
        return "the model" if self.used_model else "the AI judges"


MODEL_DIMS = 32
"""Embedding differences are reduced to this many principal components before the head is
fitted: out-of-fold fits stay quick on a big project, and 999 PandaLM items lose nothing."""


def _model_probs(db: sqlite_utils.Database, answers: Answers) -> np.ndarray | None:
    """Out-of-fold P(B) from the project's response embeddings, trained on people's majority
    choice of the other folds' items; NaN on items no person labelled (None: not every item
    has embeddings)."""
    people = answers.ratings[:, : len(answers.people)]
    labelled = np.flatnonzero((people != MISSING).any(axis=1))
    emb = response_embeddings(db, [answers.ids[i] for i in labelled])
    if emb is None or labelled.size < 2:
        return None
    diff = (emb[1] - emb[0]).astype(np.float64)
    diff -= diff.mean(axis=0)
    if diff.shape[1] > MODEL_DIMS:
        _, vectors = np.linalg.eigh(diff.T @ diff)  # principal axes, smallest first
        diff = diff @ vectors[:, -MODEL_DIMS:]
    counts = np.stack([(people[labelled] == k).sum(axis=1) for k in (0, 2)], axis=1)
    y = np.where(counts[:, 1] > counts[:, 0], 1, np.where(counts[:, 0] > counts[:, 1], 0, -1))
    out = np.full(len(answers.ids), np.nan)
    out[labelled] = out_of_fold(diff, y)
    return out


def label_quality(db: sqlite_utils.Database, answers: Answers | None = None) -> LabelQuality:
    """Dawid-Skene accuracy per annotator and AI source, and the label-error finder."""
    answers = project_answers(db) if answers is None else answers
    if not (answers.ratings != MISSING).any():
        return LabelQuality()
    model, truth = fit_answers(answers)
    n_people = len(answers.people)
    people = answers.ratings[:, :n_people]
    judges = answers.ratings[:, n_people:]
    model_p = _model_probs(db, answers)
    found = find_label_errors(people, judges, model_p, truth)
    queue = tuple(
        SuspectLabel(
            answers.ids[int(found.item[r])],
            answers.people[int(found.annotator[r])],
            CHOICE_NAMES[CATEGORY_TO_CODE[int(found.given[r])]],
            float(found.p_wrong[r]),
        )
        for r in found.queue()
    )
    # The share needs Dawid-Skene to compare sources: some item must have two answers.
    share = None
    if found.n_labels and ((answers.ratings != MISSING).sum(axis=1) >= 2).any():
        share = Estimate(
            "estimated label errors", found.share, found.low, found.high, found.n_labels
        )
    used_judges = bool((judges != MISSING).any())
    if not used_judges and model_p is None:
        queue = ()  # nothing but the labels themselves: nothing to dispute them
    return LabelQuality(
        model.accuracy(), answers.ai, found.n_labels, queue, share, model_p is not None,
        used_judges,
    )  # fmt: skip


def _estimate_json(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"name": e.name, "value": e.value, "low": e.low, "high": e.high, "items": e.items}


@dataclass(frozen=True)
class TeamReport:
    """Everything the Bias and agreement panel and ``prefmark stats`` show of a team."""

    agreement: TeamAgreement
    quality: LabelQuality


def team_report(db: sqlite_utils.Database) -> TeamReport:
    """Agreement and label quality from one read of everyone's answers."""
    answers = project_answers(db)
    return TeamReport(team_agreement(db, answers), label_quality(db, answers))


def team_stats(db: sqlite_utils.Database) -> dict[str, Any]:
    """Agreement and label quality as plain data (``prefmark stats --json``)."""
    report = team_report(db)
    agreement, quality = report.agreement, report.quality
    return {
        "agreement": {
            "overall": [_estimate_json(e) for e in agreement.overall],
            "pairs": [
                {
                    "annotators": [p.first, p.second],
                    "items": p.items,
                    "raw_agreement": p.agree,
                    "cohen_kappa": _estimate_json(p.kappa),
                }
                for p in agreement.pairs
            ],
            "rankings": [_estimate_json(e) for e in agreement.rankings],
        },
        "annotator_accuracy": quality.accuracy,
        "label_errors": {
            "labels_checked": quality.labels,
            "estimated_share": _estimate_json(quality.share),
            "checked_by": quality.evidence if quality.checked else None,
            "review_queue": [
                {
                    "item_id": s.item_id,
                    "annotator": s.annotator,
                    "choice": s.choice,
                    "p_wrong": round(s.p_wrong, 4),
                }
                for s in quality.queue
            ],
        },
    }

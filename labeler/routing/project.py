"""Route a real project: build a ``RoutingInput`` from the store and write the decision back.

The AI label of an item is the latest live label of one AI source (``ai``: an annotator name,
or ``name@swapped`` for a judge run with the responses swapped); every other AI source is a
judge opinion for ``ensemble`` and ``learned``. Reward-model scores, when present, give the
margin and (from the per-response uncertainty) an ensemble spread.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.db import transaction
from labeler.routing.aggregate import CONSENSUS, consensus_labels, with_consensus
from labeler.routing.base import HUMAN, Budget, RoutingDecision, RoutingInput, with_audit
from labeler.routing.features import (
    TextStats,
    item_tags,
    response_cosine,
    routing_features,
    text_stats,
)
from labeler.routing.logistic import sigmoid
from labeler.routing.siblings import response_ids
from labeler.routing.signals import contradiction, swapped_twin, vote_share
from labeler.store.embeddings import response_embeddings
from labeler.store.labels import insert_labels
from labeler.store.reward_models import latest_model_version, project_trained_sources
from labeler.store.routes import RoutingArrays, routing_arrays, write_routes
from labeler.store.scores import reward_margins

if TYPE_CHECKING:
    import sqlite_utils


class RoutingSetupError(ValueError):
    """The project lacks what routing needs (items, AI labels, a known AI source)."""


@dataclass(frozen=True)
class ProjectInput:
    """A project's routing input, with the item ids it is aligned to."""

    ids: list[str]
    inp: RoutingInput
    ai_source: str
    model_version: str | None
    ai_reason: str = ""
    ai_agreement: dict[str, tuple[float, int]] = field(default_factory=dict)
    judge_sources: tuple[str, ...] = ()
    stats: TextStats | None = None
    cosine: np.ndarray | None = None
    # Items whose consensus verdict (``routing.aggregate``) is not yet stored as a label.
    consensus_unstored: np.ndarray | None = None
    consensus_prob: np.ndarray | None = None
    consensus_of: tuple[str, ...] = ()


def _as_prob(codes: np.ndarray) -> np.ndarray:
    """Choice codes as P(B): 1 / 0, 0.5 for a tie or unparseable verdict, NaN if absent."""
    p = np.where(codes == 1, 1.0, np.where(codes == 0, 0.0, 0.5))
    return np.where(codes == -2, np.nan, p)


MIN_AGREEMENT_OVERLAP = 20


def source_agreement(arrays: RoutingArrays) -> dict[str, tuple[float, int]]:
    """Per AI source: (share agreeing with the human label, items compared).

    Compared are the items with a decisive human label that the source labelled; a tie or
    unparseable verdict counts as a disagreement, since it cannot stand in for the label.
    """
    human = arrays.human >= 0
    out: dict[str, tuple[float, int]] = {}
    for key, codes in arrays.opinions.items():
        both = human & (codes >= -1)
        n = int(both.sum())
        out[key] = (float(np.mean(codes[both] == arrays.human[both])) if n else 0.0, n)
    return out


@dataclass(frozen=True)
class AiChoice:
    """The AI source whose labels routing accepts, and why (for the user to check)."""

    source: str
    reason: str
    agreement: dict[str, tuple[float, int]]


def _base(key: str) -> str:
    return key.removesuffix("@swapped")


def choose_ai_source(
    arrays: RoutingArrays,
    ai: str | None,
    min_overlap: int = MIN_AGREEMENT_OVERLAP,
    trained: Collection[str] = (),
) -> AiChoice:
    """``ai`` if given; else the source agreeing most with people, once ``min_overlap``
    human-labelled items can tell; else the source with the most labels.

    ``trained`` names annotators whose model learnt from these very human labels: their
    agreement is flattered, so they win on agreement only when no independent source can be
    compared.
    """
    if not arrays.opinions:
        raise RoutingSetupError("no model labels in this project: score it or import a judge")
    agreement = source_agreement(arrays)
    if ai is not None:
        if ai not in arrays.opinions:
            have = ", ".join(arrays.opinions)
            raise RoutingSetupError(f"no model labels from {ai!r}; have: {have}")
        return AiChoice(ai, "chosen by name", agreement)
    judged = {k: v for k, v in agreement.items() if v[1] >= min_overlap}
    if judged:
        independent = [k for k in judged if _base(k) not in trained] or list(judged)
        best = max(independent, key=lambda k: (judged[k][0], judged[k][1]))
        rate, n = judged[best]
        others = "; ".join(
            f"{k} {v[0]:.0%}" + (" on its own training labels" if _base(k) in trained else "")
            for k, v in judged.items()
            if k != best
        )
        flattered = " (its own training labels)" if _base(best) in trained else ""
        reason = f"agrees with people on {rate:.0%} of {n} items{flattered}" + (
            f"; {others}" if others else ""
        )
        return AiChoice(best, reason, agreement)
    counts = {k: int(np.sum(v >= -1)) for k, v in arrays.opinions.items()}
    best = max(counts, key=lambda k: counts[k])
    reason = (
        f"most labels ({counts[best]}); fewer than {min_overlap} human-labelled items "
        "to compare sources on"
    )
    return AiChoice(best, reason, agreement)


def project_input(
    db: sqlite_utils.Database,
    ai: str | None = None,
    arrays: RoutingArrays | None = None,
    trained: Collection[str] | None = None,
) -> ProjectInput:
    """Everything known about the project's two-response items, as routing arrays.

    ``trained`` names the sources trained on this project's labels (default: the registered
    ones); the consensus of the other AI sources joins them as one more source.
    """
    arrays = routing_arrays(db) if arrays is None else arrays
    if not arrays.ids:
        raise RoutingSetupError("no two-response items to route")
    trained = project_trained_sources(db) if trained is None else trained
    stored = arrays.opinions.get(CONSENSUS)
    arrays = with_consensus(arrays, trained)
    choice = choose_ai_source(arrays, ai, trained=trained)
    source = choice.source
    ai_label = np.where(arrays.opinions[source] >= 0, arrays.opinions[source], -1)
    version = latest_model_version(db)
    margin = member = None
    if version is not None:
        diff, spread = reward_margins(db, arrays.ids, version)
        margin = np.abs(sigmoid(diff) - 0.5)
        if not np.all(np.isnan(spread)):
            # Two pseudo-members one spread apart: their standard deviation tracks the
            # ensemble's uncertainty about the preference, which is what ``ensemble`` ranks.
            s = np.nan_to_num(spread)
            member = np.column_stack([sigmoid(diff - s), sigmoid(diff + s)])
    elif np.any(~np.isnan(arrays.confidence[source])):
        margin = np.abs(np.nan_to_num(arrays.confidence[source], nan=0.5) - 0.5)
    elif len(arrays.opinions) > 1:
        # Judges state no confidence: the share of all AI votes backing the label stands in.
        share = vote_share(ai_label, [v for k, v in arrays.opinions.items() if k != CONSENSUS])
        margin = np.clip(np.nan_to_num(share, nan=0.5) - 0.5, 0.0, 0.5)
    twin = swapped_twin(source, arrays.opinions)
    contra = (
        None if twin is None else contradiction(arrays.opinions[source], arrays.opinions[twin])
    )
    judge_sources = tuple(key for key in arrays.opinions if key not in (source, CONSENSUS))
    judges = [_as_prob(arrays.opinions[key]) for key in judge_sources]
    stats = text_stats(arrays.prompts, arrays.responses_a, arrays.responses_b, list(arrays.turns))
    emb = response_embeddings(db, arrays.ids)
    cosine = None if emb is None else response_cosine(*emb)
    log_ratio = np.log1p(stats.len_b) - np.log1p(stats.len_a)
    head_x = np.column_stack([log_ratio, np.sign(log_ratio)])
    if emb is not None:
        head_x = np.column_stack([emb[1] - emb[0], head_x])
    tags, tag_names = item_tags(stats, cosine, arrays.metadata)
    base = RoutingInput(
        ai_label=ai_label,
        margin=margin,
        member_probs=member,
        judge_probs=np.column_stack(judges) if judges else None,
        tags=tags,
        tag_names=tag_names,
        head_features=head_x,
        contradiction=contra,
        response_pairs=response_ids(arrays.prompts, arrays.responses_a, arrays.responses_b),
        human_label=arrays.human,
        eligible=~arrays.has_human,
    )
    features, names = routing_features(base, stats, cosine)
    inp = RoutingInput(**{**base.__dict__, "features": features, "feature_names": names})
    unstored = prob = None
    if source == CONSENSUS:
        codes = arrays.opinions[CONSENSUS]
        unstored = codes >= 0
        if stored is not None:
            unstored &= codes != stored
        prob = arrays.confidence[CONSENSUS]
    return ProjectInput(
        arrays.ids, inp, source, version, choice.reason, choice.agreement,
        judge_sources, stats, cosine, unstored, prob,
        tuple(k for k in judge_sources if _base(k) not in trained) if unstored is not None else (),
    )  # fmt: skip


def apply_decision(
    db: sqlite_utils.Database,
    project: ProjectInput,
    decision: RoutingDecision,
    *,
    budget: Budget,
    seed: int | None,
    audit: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Add the audit sample, write routes and the run log; returns the run's summary."""
    if audit > 0:
        decision = with_audit(decision, audit, rng)
    if project.consensus_unstored is not None and project.consensus_prob is not None:
        # The accepted consensus must be a stored label for export and review to count it.
        write = project.consensus_unstored & decision.eligible & (decision.route != HUMAN)
        idx = np.flatnonzero(write)
        labels = consensus_labels(
            [project.ids[i] for i in idx], project.consensus_prob[idx], project.consensus_of
        )
        with transaction(db.conn):
            insert_labels(db.conn, labels)
    summary: dict[str, Any] = {
        **decision.counts(),
        **decision.info,
        "ai_source": project.ai_source,
        "ai_reason": project.ai_reason,
    }
    run_id = write_routes(
        db,
        project.ids,
        decision.route,
        decision.priority,
        decision.eligible,
        strategy=decision.strategy,
        budget=float(budget),
        seed=seed,
        params={"audit": audit, "ai": project.ai_source, "model_version": project.model_version},
        summary=summary,
        has_ai=project.inp.ai_label >= 0,
    )
    summary["run_id"] = run_id
    return summary

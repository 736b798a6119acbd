"""Route a real project: build a ``RoutingInput`` from the store and write the decision back.

The AI label of an item is the latest live label of one AI source (``ai``: an annotator name,
or ``name@swapped`` for a judge run with the responses swapped); every other AI source is a
judge opinion for ``ensemble`` and ``learned``. Reward-model scores, when present, give the
margin and (from the per-response uncertainty) an ensemble spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from labeler.routing.base import Budget, RoutingDecision, RoutingInput, with_audit
from labeler.routing.features import item_tags, response_cosine, routing_features, text_stats
from labeler.routing.logistic import sigmoid
from labeler.store.routing_queries import (
    RoutingArrays,
    latest_model_version,
    response_embeddings,
    reward_margins,
    routing_arrays,
    write_routes,
)


class RoutingSetupError(ValueError):
    """The project lacks what routing needs (items, AI labels, a known AI source)."""


@dataclass(frozen=True)
class ProjectInput:
    """A project's routing input, with the item ids it is aligned to."""

    ids: list[str]
    inp: RoutingInput
    ai_source: str
    model_version: str | None


def _as_prob(codes: np.ndarray) -> np.ndarray:
    """Choice codes as P(B): 1 / 0, 0.5 for a tie or unparseable verdict, NaN if absent."""
    p = np.where(codes == 1, 1.0, np.where(codes == 0, 0.0, 0.5))
    return np.where(codes == -2, np.nan, p)


def pick_ai_source(arrays: RoutingArrays, ai: str | None) -> str:
    if not arrays.opinions:
        raise RoutingSetupError("no model labels in this project: score it or import a judge")
    if ai is None:
        return max(arrays.opinions, key=lambda k: int(np.sum(arrays.opinions[k] >= -1)))
    if ai not in arrays.opinions:
        raise RoutingSetupError(f"no model labels from {ai!r}; have: {', '.join(arrays.opinions)}")
    return ai


def project_input(db: sqlite_utils.Database, ai: str | None = None) -> ProjectInput:
    """Everything known about the project's two-response items, as routing arrays."""
    arrays = routing_arrays(db)
    if not arrays.ids:
        raise RoutingSetupError("no two-response items to route")
    source = pick_ai_source(arrays, ai)
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
    judges = [_as_prob(codes) for key, codes in arrays.opinions.items() if key != source]
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
        human_label=arrays.human,
        eligible=~arrays.has_human,
    )
    features, names = routing_features(base, stats, cosine)
    inp = RoutingInput(**{**base.__dict__, "features": features, "feature_names": names})
    return ProjectInput(arrays.ids, inp, source, version)


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
    summary: dict[str, Any] = {
        **decision.counts(),
        **decision.info,
        "ai_source": project.ai_source,
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

"""Route the project's items (human, model or review), and import an AI judge's verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class RouteReport:
    strategy: str
    human: int
    model: int
    review: int
    run_id: int
    ai_source: str
    ai_reason: str
    summary_dict: dict[str, Any]

    def summary(self) -> str:
        return (
            f"{self.strategy}: {self.human} to humans, {self.model} to the model, "
            f"{self.review} to review (run {self.run_id})\n"
            f"AI labels from {self.ai_source} ({self.ai_reason})"
        )


def route(
    db: sqlite_utils.Database,
    *,
    strategy: str = "learned",
    budget: float = 0.25,
    seed: int = 0,
    audit: float = 0.0,
    ai_source: str | None = None,
) -> Workflow[RouteReport]:
    """Send each unlabelled item to a person, the model or review under ``budget`` (a fraction
    of the unlabelled items, or a count above 1), with an ``audit`` share of the model's items
    sent to review so the finished data set's accuracy can be estimated."""
    import numpy as np

    from labeler.routing import make_strategy
    from labeler.routing.project import RoutingSetupError, apply_decision, project_input
    from labeler.workflows.models import default_head_trainer

    yield 0, 2
    try:
        inp = project_input(db, ai_source)
    except RoutingSetupError as exc:
        raise WorkflowError(str(exc)) from exc
    yield 1, 2
    rng = np.random.default_rng(seed)
    amount: float | int = int(budget) if budget > 1 else budget
    decision = make_strategy(strategy, default_head_trainer()).decide(inp.inp, amount, rng)
    result = apply_decision(db, inp, decision, budget=budget, seed=seed, audit=audit, rng=rng)
    yield 2, 2
    return RouteReport(
        strategy, int(result["human"]), int(result["model"]), int(result["review"]),
        int(result["run_id"]), inp.ai_source, inp.ai_reason, dict(result),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class JudgeOptions:
    """Where an AI judge's verdicts are and how to read them (PandaLM's layout by default)."""

    path: Path
    name: str
    key: str = "idx"
    verdict_field: str = "gpt_result"
    mapping: str | dict[str, str] | None = None
    swapped: bool = False


@dataclass(frozen=True, slots=True)
class JudgeReport:
    name: str
    imported: int
    skipped: int
    unmatched: int
    swapped: bool

    def summary(self) -> str:
        return (
            f"imported {self.imported} verdicts from {self.name}"
            f"{' (swapped order)' if self.swapped else ''}; {self.skipped} unusable, "
            f"{self.unmatched} unmatched"
        )


def import_judge(db: sqlite_utils.Database, options: JudgeOptions) -> Workflow[JudgeReport]:
    """Store a judge's verdicts as model labels (one transaction), matched to items by a key."""
    from labeler.db import transaction
    from labeler.judges import JudgeFileError, judge_labels, parse_map
    from labeler.store.items import item_ids_by_key
    from labeler.store.labels import insert_labels

    yield 0, 0
    mapping = options.mapping
    try:
        result = judge_labels(
            options.path,
            item_ids_by_key(db, options.key),
            judge=options.name,
            key=options.key,
            verdict_field=options.verdict_field,
            mapping=mapping if isinstance(mapping, dict) else parse_map(mapping),
            swapped=options.swapped,
        )
    except (JudgeFileError, OSError, json.JSONDecodeError) as exc:
        raise WorkflowError(str(exc)) from exc
    if not result.labels:
        raise WorkflowError(
            f"{options.path}: no verdict matched an item by {options.key!r} "
            f"({result.unmatched} unmatched)"
        )
    with transaction(db.conn):
        insert_labels(db.conn, result.labels)
    return JudgeReport(
        options.name, len(result.labels), result.skipped, result.unmatched, options.swapped
    )

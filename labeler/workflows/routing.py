"""Route the project's items (human, model or review), and import an AI judge's verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.routing.project import ProjectInput
    from labeler.routing.target import TargetPlan


@dataclass(frozen=True, slots=True)
class RouteReport:
    strategy: str
    human: int
    model: int
    review: int
    run_id: int | None  # None: a preview, nothing written
    ai_source: str
    ai_reason: str
    summary_dict: dict[str, Any]
    plan: TargetPlan | None = None
    labels_per_hour: float | None = None

    def summary(self) -> str:
        run = "not written: preview" if self.run_id is None else f"run {self.run_id}"
        lines = [] if self.plan is None else [*plan_lines(self.plan, self.labels_per_hour), ""]
        return "\n".join([
            *lines,
            f"{self.strategy}: {self.human} to humans, {self.model} to the model, "
            f"{self.review} to review ({run})",
            f"AI labels from {self.ai_source} ({self.ai_reason})",
        ])  # fmt: skip


def _hours(items: int, per_hour: float | None) -> str:
    """`` (~1.5 h)`` of labelling at ``per_hour``, in minutes under an hour; "" without a rate.

    >>> _hours(3, 120.0), _hours(180, 120.0), _hours(3, None)
    (' (~2 min)', ' (~1.5 h)', '')
    """
    if not per_hour:
        return ""
    hours = items / per_hour
    return f" (~{max(1, round(hours * 60))} min)" if hours < 1 else f" (~{hours:.1f} h)"


def plan_lines(plan: TargetPlan, per_hour: float | None) -> list[str]:
    """The trade-off between people's items and the finished set's accuracy, in words."""
    rest = plan.n_items - plan.audited
    lines = [
        f"To be at least {plan.target:.0%} accurate with {plan.confidence:.0%} confidence: "
        f"{plan.human} of {rest} items to people{_hours(plan.human, per_hour)}, judged on a "
        f"random audit of {plan.audited} AI labels.",
        "  people   accuracy (audit estimate)   at least, with that confidence",
    ]
    marks = sorted({round(rest * f / 10) for f in range(11)} | {plan.human})
    for k in marks:
        step = min(plan.steps, key=lambda s: abs(s.human - k))
        mark = "  <- plan" if step.human == plan.human else ""
        lines.append(
            f"  {step.human:>6}{_hours(step.human, per_hour):<11} {step.accuracy:8.1%}"
            f"{step.lower:24.1%}{mark}"
        )
    if plan.audit_too_small:
        more = (
            f"about {plan.more_audits} more audit labels would bring it near "
            f"{plan.point_human} items"
            if plan.more_audits
            else "a larger audit would bring it down"
        )
        lines.append(
            f"The audit is too small to promise this with fewer people than {plan.human}: {more}."
        )
    return lines


def target_plan(
    db: sqlite_utils.Database,
    project: ProjectInput,
    strategy: str,
    target: float,
    confidence: float,
    rng: Any,
) -> tuple[TargetPlan, Any]:
    """The plan for ``target`` from the project's reviewed audit, and the risk it ranks by.

    The strategy scores every item as it stood before the audit's review: the people's labels
    hidden and the reviewed AI label back in place, so an audited item is ranked exactly as an
    unchecked AI-labelled item would be and the audit stays an independent sample of the
    risk the plan relies on.
    """
    import numpy as np

    from labeler.routing import make_strategy
    from labeler.routing.target import plan_for_target
    from labeler.store.routes import audit_reviews
    from labeler.workflows.models import default_head_trainer

    inp = project.inp
    index = {item_id: i for i, item_id in enumerate(project.ids)}
    reviews = {index[k]: v for k, v in audit_reviews(db).items() if k in index}
    if not reviews:
        raise WorkflowError(
            "a quality target needs a random audit of AI labels that people have reviewed: "
            "route with an audit share first and review those items"
        )
    audit = np.fromiter(reviews, dtype=np.int64)
    wrong = ~np.array([ok for ok, _code in reviews.values()], dtype=bool)
    shown = np.array([code for _ok, code in reviews.values()], dtype=inp.ai_label.dtype)
    assert inp.human_label is not None
    before = replace(inp, ai_label=inp.ai_label.copy())
    before.ai_label[audit] = np.where(shown >= 0, shown, inp.ai_label[audit])
    hidden_labels, eligible = inp.human_label.copy(), inp.eligible_mask.copy()
    hidden_labels[audit], eligible[audit] = -1, True
    hidden = before.with_human(hidden_labels, eligible)
    risk = make_strategy(strategy, default_head_trainer()).decide(hidden, 0, rng).score
    risk = np.where(before.ai_label < 0, np.inf, np.nan_to_num(risk.astype(float), nan=0.0))
    plan = plan_for_target(risk[inp.eligible_mask], risk[audit], wrong, target, confidence)
    return plan, risk


def route(
    db: sqlite_utils.Database,
    *,
    strategy: str = "learned",
    budget: float = 0.25,
    seed: int = 0,
    audit: float = 0.0,
    ai_source: str | None = None,
    hours: float | None = None,
    target_accuracy: float | None = None,
    confidence: float = 0.9,
    preview: bool = False,
) -> Workflow[RouteReport]:
    """Send each unlabelled item to a person, the model or review under ``budget`` (a fraction
    of the unlabelled items, or a count above 1; ``hours`` of people's time at the project's
    measured pace instead), with an ``audit`` share of the model's items sent to review so
    the finished data set's accuracy can be estimated. With ``target_accuracy`` the budget is
    the fewest people's items that reach it with ``confidence``, judged on the reviewed audit.
    ``preview`` computes everything and writes nothing."""
    import numpy as np

    from labeler.routing import make_strategy
    from labeler.routing.base import decide_by_score
    from labeler.routing.pace import decide_for_hours, fit_pace
    from labeler.routing.project import RoutingSetupError, apply_decision, project_input
    from labeler.store.labels import labelling_rate
    from labeler.store.timing import item_chars, timed_labels
    from labeler.workflows.models import default_head_trainer

    yield 0, 2
    try:
        inp = project_input(db, ai_source)
    except RoutingSetupError as exc:
        raise WorkflowError(str(exc)) from exc
    yield 1, 2
    rng = np.random.default_rng(seed)
    per_hour = labelling_rate(db)
    amount: float | int = int(budget) if budget > 1 else budget
    plan = None
    if hours is not None and target_accuracy is None:
        pace = fit_pace(*timed_labels(db))
        if pace is None:
            raise WorkflowError(
                "a budget in hours needs timed labels: label some items in the app first"
            )
        seconds = pace.seconds(item_chars(db, inp.ids))
        chooser = make_strategy(strategy, default_head_trainer())
        decision = decide_for_hours(chooser, inp.inp, seconds, hours, rng)
        amount = int(decision.counts()["human"])
    elif target_accuracy is not None:
        plan, risk = target_plan(db, inp, strategy, target_accuracy, confidence, rng)
        amount = plan.human
        target: dict[str, float | str] = {
            "target_accuracy": target_accuracy,
            "target_confidence": confidence,
        }
        decision = decide_by_score(inp.inp, risk, amount, rng, strategy, target)
    else:
        decision = make_strategy(strategy, default_head_trainer()).decide(inp.inp, amount, rng)
    if preview:
        counts = decision.counts()
        return RouteReport(
            strategy, counts["human"], counts["model"], counts["review"], None,
            inp.ai_source, inp.ai_reason, dict(counts), plan, per_hour,
        )  # fmt: skip
    spent = budget if hours is None and target_accuracy is None else float(amount)
    result = apply_decision(db, inp, decision, budget=spent, seed=seed, audit=audit, rng=rng)
    yield 2, 2
    return RouteReport(
        strategy, int(result["human"]), int(result["model"]), int(result["review"]),
        int(result["run_id"]), inp.ai_source, inp.ai_reason, dict(result), plan, per_hour,
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

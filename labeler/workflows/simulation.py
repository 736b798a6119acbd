"""Replay every routing strategy on the project's human-labelled items (the routing curves)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labeler.routing.base import RoutingInput
from labeler.routing.crossfit import N_FOLDS
from labeler.routing.logistic import HeadTrainer
from labeler.routing.project import ProjectInput
from labeler.routing.simulate import SimRow, SimTask, Summary
from labeler.routing.target import TargetTrial
from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

SIM_HEAD_DIMS = 256
N_LENGTH_COLUMNS = 2  # project.project_input appends log length ratio and its sign
MIN_ITEMS = 50


def reduce_head_features(x: np.ndarray, dims: int = SIM_HEAD_DIMS) -> np.ndarray:
    """Embedding differences projected on their top ``dims`` principal directions.

    The simulation trains hundreds of heads (``hyper`` alone 200 per refit); on the full
    384-d embeddings those fits took over two minutes per seed on PandaLM, at 256-d under ten
    seconds with the heads about as accurate. The projection uses no labels, so nothing
    leaks; the routing benchmark reduces the same way.
    """
    emb, rest = x[:, :-N_LENGTH_COLUMNS], x[:, -N_LENGTH_COLUMNS:]
    if emb.shape[1] <= dims:
        return x
    _, _, vt = np.linalg.svd(emb, full_matrices=False)
    return np.column_stack([emb @ vt[:dims].T, rest])


@dataclass(frozen=True)
class SimulationSetup:
    """The seeded tasks plus what the user must know to read the result."""

    task: Callable[[int], SimTask]
    ai_source: str | None
    ai_reason: str
    n_items: int


def _fit_name(folds: int) -> str:
    return f"out-of-fold ({folds} folds)"


def simulation_setup(
    db: sqlite_utils.Database,
    ai: str | None,
    human: str | None,
    train_head: HeadTrainer | None = None,
    folds: int = N_FOLDS,
) -> SimulationSetup:
    """Seeded pool/test splits of the project's human-labelled items.

    Gold is the label that counts under the project's conflict policy (the same rule training
    and export follow); ``human`` names the annotator who plays the human (default: the label
    that counts), and only items that annotator labelled are replayed. Without ``ai`` each
    seed picks the AI source on its test split, disjoint from the pool it is scored on. A model
    trained on this project (its labels and its reward scores) is never asked about an item
    whose label it learnt from: its labels, margins and spread in the pool are replaced by
    ``folds``-fold out-of-fold scores of the same kind of head trained on the person's labels.
    """
    from labeler.resolution import UnknownAnnotatorError, simulation_gold
    from labeler.routing.aggregate import with_consensus
    from labeler.routing.crossfit import cross_fit
    from labeler.routing.project import RoutingSetupError, choose_ai_source, project_input
    from labeler.store.reward_models import is_trained_version, project_trained_sources
    from labeler.store.routes import routing_arrays
    from labeler.workflows.models import DEFAULT_MODEL_NAME, default_head_trainer

    arrays = routing_arrays(db)
    if not arrays.ids:
        raise WorkflowError("no two-response items to route")
    if not arrays.opinions:
        raise WorkflowError("no model labels in this project: score it or import a judge")
    try:
        player, gold = simulation_gold(arrays, human)
    except UnknownAnnotatorError as exc:
        raise WorkflowError(str(exc)) from exc
    keep = np.flatnonzero(arrays.has_human & (gold >= 0) & (player >= 0))
    if len(keep) < MIN_ITEMS:
        who = f"items labelled by {human}" if human else "human-labelled items"
        raise WorkflowError(
            f"a simulation needs at least {MIN_ITEMS} {who}; this project has {len(keep)}"
        )
    trained = project_trained_sources(db) | {DEFAULT_MODEL_NAME}
    # The consensus of the independent AI sources competes with them for the AI choice.
    arrays = with_consensus(arrays, trained)
    if ai is not None and ai not in arrays.opinions:
        raise WorkflowError(f"no model labels from {ai!r}; have: {', '.join(arrays.opinions)}")
    head = train_head or default_head_trainer()
    inputs: dict[str, ProjectInput] = {}

    def project_for(source: str) -> ProjectInput:
        if source not in inputs:
            try:
                inputs[source] = project_input(db, source, arrays, trained)
            except RoutingSetupError as exc:
                raise WorkflowError(str(exc)) from exc
        return inputs[source]

    def task(seed: int) -> SimTask:
        perm = np.random.default_rng(seed).permutation(keep)
        n_test = round(0.2 * len(perm))
        test, pool = np.sort(perm[:n_test]), np.sort(perm[n_test:])
        source = ai
        if source is None:
            held_out = np.full(len(arrays.ids), -1, dtype=np.int8)
            held_out[test] = gold[test]
            source = choose_ai_source(
                replace(arrays, human=held_out), None, trained=trained
            ).source
        project = project_for(source)
        assert project.inp.head_features is not None
        head_x = reduce_head_features(project.inp.head_features)
        inp = _subset(replace(project.inp, head_features=head_x), pool)
        fit = "independent"
        own = source.removesuffix("@swapped") in trained
        scored_by_trained = is_trained_version(db, project.model_version)
        judged = [i for i, k in enumerate(project.judge_sources) if k in trained]
        if own or judged or scored_by_trained:
            rng = np.random.default_rng([seed, 2])
            members = cross_fit(head_x[pool], player[pool], head, rng, folds=folds, members=3)
            inp = _out_of_fold(inp, members, own, judged, own or scored_by_trained, project, pool)
            fit = _fit_name(folds) if own else fit
        return SimTask(inp, player[pool], gold[pool], head_x[test], gold[test], source, fit)

    return SimulationSetup(task, ai, "chosen with --ai" if ai else "", len(keep))


def _subset(inp: RoutingInput, rows: np.ndarray) -> RoutingInput:
    fields = {k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in inp.__dict__.items()}
    fields.update(human_label=None, eligible=None)
    return RoutingInput(**fields)


def _out_of_fold(
    inp: RoutingInput,
    members: np.ndarray,
    own: bool,
    judged: list[int],
    margins: bool,
    project: ProjectInput,
    pool: np.ndarray,
) -> RoutingInput:
    """``inp`` with every trained model's opinion replaced by its out-of-fold scores."""
    from labeler.routing.features import TextStats, routing_features

    p = members.mean(axis=1)
    changes: dict[str, object] = {}
    if own:
        changes.update(ai_label=(p > 0.5).astype(np.int8), contradiction=None)
    if judged and inp.judge_probs is not None:
        probs = inp.judge_probs.copy()
        probs[:, judged] = p[:, None]
        changes["judge_probs"] = probs
    if margins:
        changes.update(margin=np.abs(p - 0.5), member_probs=members)
    out = replace(inp, **changes)  # type: ignore[arg-type]
    stats = project.stats and TextStats(
        **{k: np.asarray(v)[pool] for k, v in project.stats.__dict__.items()}
    )
    cosine = None if project.cosine is None else project.cosine[pool]
    features, names = routing_features(out, stats, cosine)
    return replace(out, features=features, feature_names=names)


def _headline(rows: list[SimRow]) -> str:
    """Which AI each seed used, how its labels were made, and how accurate they were alone."""
    by_seed = {r.seed: r for r in rows}
    sources = Counter(r.ai_source for r in by_seed.values())
    names = ", ".join(
        f"{name} ({count} of {len(by_seed)} seeds)" if len(sources) > 1 else name
        for name, count in sources.most_common()
    )
    fits = sorted({r.ai_fit for r in by_seed.values()})
    acc = float(np.mean([r.ai_acc for r in by_seed.values()]))
    return f"AI labels from {names}, {' / '.join(fits)}; alone they are {acc:.1%} accurate"


@dataclass(frozen=True)
class SimulationReport:
    csv_path: Path
    png_path: Path
    setup: SimulationSetup
    summary_rows: list[Summary] = field(default_factory=list)
    rows: list[SimRow] = field(default_factory=list)
    trials: list[TargetTrial] = field(default_factory=list)
    target: float | None = None
    confidence: float = 0.9

    def coverage(self) -> str | None:
        """How often the quality target's promise held, and what it cost, in one sentence."""
        if not self.trials or self.target is None:
            return None
        held = sum(t.held for t in self.trials)
        pool = max(r.n_human for r in self.rows)
        people = np.mean([t.human + t.audited for t in self.trials])
        return (
            f"target {self.target:.0%} with {self.confidence:.0%} confidence: the promise held "
            f"in {held} of {len(self.trials)} replays ({held / len(self.trials):.0%}), with "
            f"{people:.0f} of {pool} items to people on average (a {TARGET_AUDIT:.0%} audit "
            "included)"
        )

    def headline(self) -> str:
        chosen = "" if self.setup.ai_source else " (per seed, the best on its held-out items)"
        return f"{_headline(self.rows)} on the {self.setup.n_items} human-labelled items{chosen}"


def simulate(
    db: sqlite_utils.Database,
    out_dir: Path,
    *,
    seeds: int = 3,
    ai_source: str | None = None,
    human: str | None = None,
    title: str = "routing simulation",
    target: float | None = None,
    confidence: float = 0.9,
) -> Workflow[SimulationReport]:
    """Every strategy on ``seeds`` pool/test splits; writes the CSV and the plot to ``out_dir``.

    Progress counts (seed, strategy) runs, seeds outer and ``STRATEGY_NAMES`` inner. With
    ``target``, the quality-target mode is replayed too (``TARGET_DRAWS`` random audits of
    ``TARGET_AUDIT`` of the pool per seed) and the report says how often its promise held.
    """
    from labeler.routing import STRATEGY_NAMES, make_strategy
    from labeler.routing.simulate import plot, simulate_steps, summarise, write_csv
    from labeler.workflows.models import default_head_trainer

    yield 0, 0
    head = default_head_trainer()
    setup = simulation_setup(db, ai_source, human, head)
    factories = {name: partial(make_strategy, name, head) for name in STRATEGY_NAMES}
    task = cache(setup.task)
    rows = yield from simulate_steps(factories, task, head, list(range(seeds)))
    trials = [] if target is None else target_trials(task, seeds, target, confidence)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = out_dir / "routing_simulation.csv", out_dir / "routing_simulation.png"
    write_csv(rows, csv_path)
    summary = summarise(rows)
    plot(summary, png_path, f"{title}\n{_headline(rows)}")
    return SimulationReport(csv_path, png_path, setup, summary, rows, trials, target, confidence)


TARGET_DRAWS, TARGET_AUDIT = 10, 0.1


def target_trials(
    task: Callable[[int], SimTask], seeds: int, target: float, confidence: float
) -> list[TargetTrial]:
    """The target mode on every seed, ranked by ``learned`` before any label (its prior), so
    the ranking never depends on the audit it is judged by."""
    from labeler.routing import make_strategy
    from labeler.routing.target import replay_target

    trials = []
    for seed in range(seeds):
        t = task(seed)
        risk = make_strategy("learned").decide(t.inp, 0, np.random.default_rng(seed)).score
        for draw in range(TARGET_DRAWS):
            rng = np.random.default_rng([seed, draw, 7])
            trials.append(
                replay_target(t.inp.ai_label, t.human, risk, target, confidence, TARGET_AUDIT, rng)
            )
    return trials

"""``prefmark route PROJECT.db``: route items, simulate routing, or import AI-judge verdicts.

This module is a composition root: it passes the default model's preference head
(``models.head.fit_head``) to the strategies and the simulation as a plain callable, so
``labeler.routing`` never imports ``models``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import click
import numpy as np

from labeler.cli.common import open_project_or_fail
from labeler.cli.model_adapters import DEFAULT_MODEL_NAME
from labeler.db import transaction
from labeler.judges import JudgeFileError, judge_labels, parse_map
from labeler.routing import (
    STRATEGY_NAMES,
    HeadTrainer,
    Strategy,
    logistic_head,
    make_strategy,
)
from labeler.routing.project import (
    RoutingSetupError,
    apply_decision,
    project_input,
)
from labeler.routing.simulate import SimTask, plot, simulate, summarise, write_csv
from labeler.store.labels import insert_labels
from labeler.store.routing_queries import (
    item_ids_by_key,
    project_trained_sources,
    routing_arrays,
)


def default_head_trainer(l2: float = 0.05) -> HeadTrainer:
    """The default model's Bradley-Terry head (one member) as a ``HeadTrainer``.

    ``x`` rows are f(B) - f(A); a label 1 (B preferred) makes B the chosen response. Falls back
    to the core's numpy logistic head when ``models`` is not installed.
    """
    try:
        from models.head import fit_head
    except ImportError:
        return logistic_head()

    def train(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        sign = np.where(y >= 0.5, 1.0, -1.0)[:, None]
        half = sign * x / 2
        empty = np.zeros((len(x), 0))
        head = fit_head(half, -half, empty, empty, n_heads=1, l2=l2)

        def predict(xt: np.ndarray) -> np.ndarray:
            diff = head.member_rewards(xt / 2) - head.member_rewards(-xt / 2)
            out: np.ndarray = 1.0 / (1.0 + np.exp(-diff[:, 0].astype(np.float64)))
            return out

        return predict

    return train


def _import_judge(
    db: Any, path: Path, name: str, key: str, field: str, spec: str | None, swapped: bool
) -> None:
    try:
        result = judge_labels(
            path,
            item_ids_by_key(db, key),
            judge=name,
            key=key,
            verdict_field=field,
            mapping=parse_map(spec),
            swapped=swapped,
        )
    except (JudgeFileError, OSError, json.JSONDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not result.labels:
        raise click.ClickException(
            f"{path}: no verdict matched an item by {key!r} ({result.unmatched} unmatched)"
        )
    with transaction(db.conn):
        insert_labels(db.conn, result.labels)
    click.echo(
        f"imported {len(result.labels)} verdicts from {name}"
        f"{' (swapped order)' if swapped else ''}; {result.skipped} unusable, "
        f"{result.unmatched} unmatched"
    )


SIM_HEAD_DIMS = 256
N_LENGTH_COLUMNS = 2  # project.project_input appends log length ratio and its sign


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
    ai_source: str
    ai_reason: str
    ai_accuracy: float
    n_items: int
    trained_on_project: bool


def simulation_setup(db: Any, ai: str | None, human: str | None) -> SimulationSetup:
    """Seeded pool/test splits of the project's human-labelled items.

    Gold is the majority of all human annotators on an item when it has several, else the one
    human label; ``human`` names the annotator who plays the human (default: the latest label).
    """
    project = project_input(db, ai)
    arrays = routing_arrays(db, with_text=False)
    labelled = arrays.has_human & (arrays.human >= 0)
    human_labels = arrays.human.copy()
    if human is not None:
        if human not in arrays.human_by:
            raise click.ClickException(f"no human labels by {human!r}")
        human_labels = np.where(arrays.human_by[human] >= 0, arrays.human_by[human], -1)
    votes = np.stack(list(arrays.human_by.values())) if arrays.human_by else None
    gold = human_labels.copy()
    if votes is not None and len(votes) > 1:
        b, a = (votes == 1).sum(axis=0), (votes == 0).sum(axis=0)
        gold = np.where(b > a, 1, np.where(a > b, 0, -1)).astype(np.int8)
    keep = np.flatnonzero(labelled & (gold >= 0))
    if len(keep) < 50:
        raise click.ClickException(
            f"simulation needs >= 50 human-labelled items, found {len(keep)}"
        )
    assert project.inp.head_features is not None
    head_x = reduce_head_features(project.inp.head_features)
    inp = replace(project.inp, head_features=head_x)

    def task(seed: int) -> SimTask:
        perm = np.random.default_rng(seed).permutation(keep)
        n_test = round(0.2 * len(perm))
        test, pool = np.sort(perm[:n_test]), np.sort(perm[n_test:])
        fields = {
            k: (v[pool] if isinstance(v, np.ndarray) else v) for k, v in inp.__dict__.items()
        }
        fields.update(human_label=None, eligible=None)
        sub = type(inp)(**fields)
        return SimTask(sub, human_labels[pool], gold[pool], head_x[test], gold[test])

    trained = project.ai_source.removesuffix("@swapped") in project_trained_sources(db)
    return SimulationSetup(
        task=task,
        ai_source=project.ai_source,
        ai_reason=project.ai_reason,
        ai_accuracy=float(np.mean(inp.ai_label[keep] == gold[keep])),
        n_items=len(keep),
        trained_on_project=trained or project.ai_source == DEFAULT_MODEL_NAME,
    )


def _simulation_task(db: Any, ai: str | None, human: str | None) -> Callable[[int], SimTask]:
    """``simulation_setup``'s seeded tasks alone."""
    return simulation_setup(db, ai, human).task


@click.command("route")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_NAMES),
    default="learned",
    show_default=True,
    help="How to pick the items people label: random; margin (least sure AI labels first); "
    "ensemble (AI judges disagree most); learned (a model of where the AI is wrong, fit on "
    "human labels); hyper (HyPER: the human set that trains the best reward model).",
)
@click.option(
    "--budget",
    type=float,
    default=0.25,
    show_default=True,
    help="Human budget: a fraction of the unlabelled items (<= 1) or a count (> 1).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed of the routing run (same seed and data: same routes).",
)
@click.option(
    "--audit",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of model-routed items sent to a random human review (for stats).",
)
@click.option(
    "--ai",
    "ai_source",
    default=None,
    help="Which model labels to accept (annotator name, or NAME@swapped). Default: the "
    "source agreeing most with people on items both labelled (at least 20), else the one "
    "with most labels.",
)
@click.option(
    "--simulate", is_flag=True, help="Replay every strategy on the human-labelled items."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("routing-sim"),
    show_default=True,
    help="Folder for the simulation's CSV and PNG.",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Simulation: how many random pool/test splits to average over (more: steadier "
    "curves, proportionally slower).",
)
@click.option(
    "--human",
    default=None,
    help="Simulation: the annotator who plays the human (default: the latest human label). "
    "An annotator the AI source was not trained on gives an honest estimate.",
)
@click.option(
    "--import-judge",
    "judge_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Import an AI judge's verdicts (JSON/JSONL) as model labels.",
)
@click.option("--judge-name", default=None, help="Annotator name for the imported verdicts.")
@click.option(
    "--key",
    default="idx",
    show_default=True,
    help="Judge import: the verdict record's field matched to the same field of an item's "
    "metadata ('id': the item id). Fields of imported records are kept as item metadata, "
    "so a judge file can be matched on e.g. 'idx'.",
)
@click.option(
    "--verdict-field",
    default="gpt_result",
    show_default=True,
    help="Judge import: the record field holding the verdict (the default is PandaLM's "
    "'gpt_result').",
)
@click.option(
    "--map",
    "verdict_map",
    default=None,
    help="Verdict mapping, e.g. '1=first,2=second,Tie=tie,garbage=skip' (the default).",
)
@click.option("--swapped", is_flag=True, help="The judge saw the responses in swapped order.")
def route_command(
    project: Path,
    strategy: str,
    budget: float,
    seed: int,
    audit: float,
    ai_source: str | None,
    simulate: bool,
    out: Path,
    seeds: int,
    human: str | None,
    judge_file: Path | None,
    judge_name: str | None,
    key: str,
    verdict_field: str,
    verdict_map: str | None,
    swapped: bool,
) -> None:
    """Send each unlabelled item to a human, to the model, or to review, under a budget.

    \b
      prefmark route P.db --strategy learned --budget 0.25 --audit 0.05
      prefmark route P.db --simulate --out sim/ --seeds 3
      prefmark route P.db --import-judge gpt.json --judge-name gpt-3.5 --key idx
    """
    db = open_project_or_fail(project, create=False)
    if judge_file is not None:
        if not judge_name:
            raise click.UsageError("--import-judge needs --judge-name")
        _import_judge(db, judge_file, judge_name, key, verdict_field, verdict_map, swapped)
        return
    head = default_head_trainer()
    try:
        if simulate:
            _run_simulation(db, project.name, ai_source, human, head, seeds, out)
            return
        inp = project_input(db, ai_source)
    except RoutingSetupError as exc:
        raise click.ClickException(str(exc)) from exc
    rng = np.random.default_rng(seed)
    amount: float | int = int(budget) if budget > 1 else budget
    decision = make_strategy(strategy, head).decide(inp.inp, amount, rng)
    result = apply_decision(db, inp, decision, budget=budget, seed=seed, audit=audit, rng=rng)
    click.echo(
        f"{strategy}: {result['human']} to humans, {result['model']} to the model, "
        f"{result['review']} to review (run {result['run_id']})"
    )
    click.echo(f"AI labels from {inp.ai_source} ({inp.ai_reason})")


def optimism_warning(setup: SimulationSetup) -> str:
    """Why a simulation whose AI learnt from the project's own human labels is optimistic."""
    return (
        f"warning: {setup.ai_source} is a model trained on this project's human labels, the "
        "same labels the simulation scores it against, so its accuracy and every curve below "
        "are optimistic. For an honest estimate route with --ai <judge> (an imported judge) "
        "or let an annotator the model was not trained on play the human (--human NAME)."
    )


def _run_simulation(
    db: Any,
    name: str,
    ai: str | None,
    human: str | None,
    head: HeadTrainer,
    seeds: int,
    out: Path,
) -> None:
    setup = simulation_setup(db, ai, human)
    click.echo(
        f"AI labels from {setup.ai_source} ({setup.ai_reason}); alone they are "
        f"{setup.ai_accuracy:.1%} accurate on {setup.n_items} human-labelled items"
    )
    if setup.trained_on_project:
        click.echo(optimism_warning(setup), err=True)
    factories: dict[str, Callable[[], Strategy]] = {
        s: partial(make_strategy, s, head) for s in STRATEGY_NAMES
    }
    total = seeds * len(factories)
    done = 0

    def progress(seed: int, strategy: str) -> None:
        nonlocal done
        done += 1
        click.echo(f"simulated seed {seed} {strategy:<9} ({done}/{total})", err=True)

    rows = simulate(factories, setup.task, head, list(range(seeds)), progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out / "routing_simulation.csv")
    summary = summarise(rows)
    plot(summary, out / "routing_simulation.png", f"{name}: routing simulation")
    for s in sorted(summary, key=lambda s: (s.budget, s.strategy)):
        if round(s.budget * 100) in (10, 25, 50):
            click.echo(
                f"{100 * s.budget:>4.0f}%  {s.strategy:<9} (a) {100 * s.hybrid_mean:5.1f}"
                f" ± {100 * s.hybrid_std:.1f}   (b) {100 * s.head_mean:5.1f}"
                f" ± {100 * s.head_std:.1f}   oracle {100 * s.oracle:5.1f}"
            )
    click.echo(f"wrote {out / 'routing_simulation.csv'} and {out / 'routing_simulation.png'}")
    if setup.trained_on_project:
        click.echo(optimism_warning(setup), err=True)

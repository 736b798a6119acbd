"""Replay every routing strategy on the project's human-labelled items (the routing curves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.routing.simulate import SimTask, Summary

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
    ai_source: str
    ai_reason: str
    ai_accuracy: float
    n_items: int
    trained_on_project: bool


def simulation_setup(
    db: sqlite_utils.Database, ai: str | None, human: str | None
) -> SimulationSetup:
    """Seeded pool/test splits of the project's human-labelled items.

    Gold is the label that counts under the project's conflict policy (the same rule training
    and export follow); ``human`` names the annotator who plays the human (default: the label
    that counts).
    """
    from labeler.resolution import UnknownAnnotatorError, simulation_gold
    from labeler.routing.project import RoutingSetupError, project_input
    from labeler.routing.simulate import SimTask
    from labeler.store.reward_models import project_trained_sources
    from labeler.store.routes import routing_arrays
    from labeler.workflows.models import DEFAULT_MODEL_NAME

    try:
        project = project_input(db, ai)
    except RoutingSetupError as exc:
        raise WorkflowError(str(exc)) from exc
    arrays = routing_arrays(db, with_text=False)
    try:
        human_labels, gold = simulation_gold(arrays, human)
    except UnknownAnnotatorError as exc:
        raise WorkflowError(str(exc)) from exc
    keep = np.flatnonzero(arrays.has_human & (gold >= 0))
    if len(keep) < MIN_ITEMS:
        raise WorkflowError(
            f"a simulation needs at least {MIN_ITEMS} human-labelled items; "
            f"this project has {len(keep)}"
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


def optimism_warning(setup: SimulationSetup) -> str:
    """Why a simulation whose AI learnt from the project's own human labels is optimistic."""
    return (
        f"{setup.ai_source} is a model trained on this project's human labels, the same labels "
        "the simulation scores it against, so its accuracy and every curve are optimistic. For "
        "an honest estimate, use an imported judge as the AI, or let an annotator the model was "
        "not trained on play the human."
    )


@dataclass(frozen=True)
class SimulationReport:
    csv_path: Path
    png_path: Path
    setup: SimulationSetup
    summary_rows: list[Summary] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        return optimism_warning(self.setup) if self.setup.trained_on_project else None

    def headline(self) -> str:
        s = self.setup
        return (
            f"AI labels from {s.ai_source} ({s.ai_reason}); alone they are "
            f"{s.ai_accuracy:.1%} accurate on {s.n_items} human-labelled items"
        )


def simulate(
    db: sqlite_utils.Database,
    out_dir: Path,
    *,
    seeds: int = 3,
    ai_source: str | None = None,
    human: str | None = None,
    title: str = "routing simulation",
) -> Workflow[SimulationReport]:
    """Every strategy on ``seeds`` pool/test splits; writes the CSV and the plot to ``out_dir``.

    Progress counts (seed, strategy) runs.
    """
    from labeler.routing import STRATEGY_NAMES, make_strategy
    from labeler.routing.simulate import plot, simulate_steps, summarise, write_csv
    from labeler.workflows.models import default_head_trainer

    yield 0, 0
    setup = simulation_setup(db, ai_source, human)
    head = default_head_trainer()
    factories = {name: partial(make_strategy, name, head) for name in STRATEGY_NAMES}

    rows = yield from simulate_steps(factories, setup.task, head, list(range(seeds)))
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = out_dir / "routing_simulation.csv", out_dir / "routing_simulation.png"
    write_csv(rows, csv_path)
    summary = summarise(rows)
    plot(summary, png_path, title)
    return SimulationReport(csv_path, png_path, setup, summary)

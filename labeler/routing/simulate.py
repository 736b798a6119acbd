"""Replay routing on a project whose human labels are known, without letting routing see them.

The human labels sit inside an ``Oracle`` that reveals a label only for an item the current
decision routes to a human, and counts every reveal. Strategies receive a ``RoutingInput``
built from the oracle's revealed labels alone, so no code path can read a hidden label.

Two metrics per strategy, budget and seed, both against gold labels the routing never sees:
(a) accuracy of the hybrid labels (human where routed, AI elsewhere) on the routed pool;
(b) accuracy on a held-out test split of a reward-model head trained on those hybrid labels
(HyPER's metric). The oracle bound for (a) routes exactly the items the AI gets wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labeler.progress import Steps, run_steps
from labeler.routing.base import HUMAN, NO_LABEL, RoutingDecision, RoutingInput, Strategy
from labeler.routing.logistic import HeadTrainer

DEFAULT_BUDGETS = tuple(round(0.05 * i, 2) for i in range(21))
METRICS = {
    "hybrid": "(a) hybrid label accuracy vs gold",
    "head": "(b) reward-model head accuracy on test split",
}
"""The two metrics' names, as the plot's panels and the command line's rows call them."""
EXPLAINED = {
    "hybrid": "people's labels where routed, the AI's elsewhere, against the people's labels "
    "routing never saw",
    "head": "a head trained on those hybrid labels, scored on held-out items",
    "oracle": "(a) had people got exactly the items the AI gets wrong",
}


class HiddenLabelError(RuntimeError):
    """Something asked for a human label of an item that was not routed to a human."""


class Oracle:
    """The human annotator of a simulation: answers only for items routed to it."""

    def __init__(self, human_labels: np.ndarray) -> None:
        self.__labels = np.asarray(human_labels, dtype=np.int8).copy()
        self.revealed = np.zeros(len(self.__labels), dtype=bool)

    @property
    def reveals(self) -> int:
        return int(self.revealed.sum())

    def reveal(self, decision: RoutingDecision, idx: np.ndarray) -> None:
        """Mark ``idx`` labelled; each must be routed to a human and not yet labelled."""
        idx = np.asarray(idx, dtype=np.int64)
        if np.any(decision.route[idx] != HUMAN) or np.any(self.revealed[idx]):
            raise HiddenLabelError("reveal asked for an item not routed to a human")
        if len(np.unique(idx)) != len(idx):
            raise HiddenLabelError("reveal asked for the same item twice")
        self.revealed[idx] = True

    def known_labels(self) -> np.ndarray:
        """The revealed human labels; ``-1`` everywhere else."""
        out = np.full(len(self.__labels), NO_LABEL, dtype=np.int8)
        out[self.revealed] = self.__labels[self.revealed]
        return out

    def input_for(self, base: RoutingInput) -> RoutingInput:
        """``base`` with exactly the revealed human labels; unlabelled items stay eligible."""
        return base.with_human(self.known_labels(), ~self.revealed)


def human_trajectory(
    strategy: Strategy,
    base: RoutingInput,
    oracle: Oracle,
    count: int,
    batch: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Label ``count`` items in batches the way people work through the queue.

    Before every batch the strategy decides again with the labels revealed so far (so adaptive
    strategies refit), and the top of its human queue is revealed. Returns the item indices in
    the order they were labelled.
    """
    order: list[np.ndarray] = []
    done = 0
    while done < count:
        decision = strategy.decide(oracle.input_for(base), count - done, rng)
        take = decision.human_order[: min(batch, count - done)]
        if len(take) == 0:
            break
        oracle.reveal(decision, take)
        order.append(take)
        done += len(take)
    return np.concatenate(order) if order else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class SimTask:
    """One seed's simulation data. Gold is for scoring only and never reaches a strategy.

    ``inp`` covers the routed pool (its ``human_label`` is ignored: the oracle supplies it);
    ``test_x``/``test_gold`` are the held-out split for metric (b). ``ai_source`` names the
    AI and ``ai_fit`` how its labels were made (``out-of-fold``: a trained model scoring only
    items whose labels it did not learn from; ``independent``: a source that never saw them).
    """

    inp: RoutingInput
    human: np.ndarray
    gold: np.ndarray
    test_x: np.ndarray
    test_gold: np.ndarray
    ai_source: str = ""
    ai_fit: str = "independent"


@dataclass(frozen=True)
class SimRow:
    strategy: str
    budget: float
    seed: int
    n_human: int
    reveals: int
    hybrid_acc: float
    head_acc: float
    oracle_acc: float
    ai_acc: float
    ai_source: str = ""
    ai_fit: str = "independent"


def hybrid_labels(ai: np.ndarray, human: np.ndarray, routed: np.ndarray) -> np.ndarray:
    out = np.asarray(ai, dtype=np.int8).copy()
    out[routed] = human[routed]
    return out


def head_accuracy(
    train_head: HeadTrainer,
    x: np.ndarray,
    labels: np.ndarray,
    test_x: np.ndarray,
    test_gold: np.ndarray,
) -> float:
    """Metric (b): accuracy on the test split of a head trained on the usable hybrid labels."""
    usable = labels >= 0
    if usable.sum() < 2 or len(np.unique(labels[usable])) < 2:
        return float("nan")
    predict = train_head(x[usable], labels[usable].astype(np.float64))
    return float(np.mean((predict(test_x) > 0.5) == (test_gold == 1)))


def simulate_steps(
    strategies: Mapping[str, Callable[[], Strategy]],
    task_for_seed: Callable[[int], SimTask],
    train_head: HeadTrainer,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    budgets: Sequence[float] = DEFAULT_BUDGETS,
    batch_fraction: float = 0.025,
) -> Steps[list[SimRow]]:
    """Every strategy at every budget and seed; a fresh strategy per (strategy, seed).

    Yields ``(runs done, runs)`` after each (seed, strategy) run, so a caller can show how
    far a long simulation has got.

    Nested strategies run one trajectory to the largest budget and read smaller budgets off its
    prefix (identical to running each budget, as their queue does not depend on the budget);
    the others (``hyper``) run once per budget, in three rounds.
    """
    rows: list[SimRow] = []
    runs, done = len(seeds) * len(strategies), 0
    yield done, runs
    for seed in seeds:
        task = task_for_seed(seed)
        n = task.inp.n
        assert task.inp.head_features is not None
        x = task.inp.head_features
        ai_acc = float(np.mean(task.inp.ai_label == task.gold))
        counts = [round(b * n) for b in budgets]
        for name, make in strategies.items():
            strategy = make()
            prefix: np.ndarray | None = None
            reveals = 0
            if strategy.nested:
                oracle = Oracle(task.human)
                rng = np.random.default_rng([seed, 1])
                batch = max(1, round(batch_fraction * n))
                prefix = human_trajectory(strategy, task.inp, oracle, max(counts), batch, rng)
                reveals = oracle.reveals
            for budget, count in zip(budgets, counts, strict=True):
                if prefix is not None:
                    routed = prefix[:count]
                    n_reveals = min(reveals, count)
                else:
                    oracle = Oracle(task.human)
                    rng = np.random.default_rng([seed, 1])
                    batch = max(1, -(-count // 3))
                    routed = human_trajectory(strategy, task.inp, oracle, count, batch, rng)
                    n_reveals = oracle.reveals
                labels = hybrid_labels(task.inp.ai_label, task.human, routed)
                rows.append(
                    SimRow(
                        strategy=name,
                        budget=float(budget),
                        seed=seed,
                        n_human=len(routed),
                        reveals=n_reveals,
                        hybrid_acc=float(np.mean(labels == task.gold)),
                        head_acc=head_accuracy(train_head, x, labels, task.test_x, task.test_gold),
                        oracle_acc=min(1.0, ai_acc + count / n),
                        ai_acc=ai_acc,
                        ai_source=task.ai_source,
                        ai_fit=task.ai_fit,
                    )
                )
            done += 1
            yield done, runs
    return rows


def simulate(
    strategies: Mapping[str, Callable[[], Strategy]],
    task_for_seed: Callable[[int], SimTask],
    train_head: HeadTrainer,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    budgets: Sequence[float] = DEFAULT_BUDGETS,
    batch_fraction: float = 0.025,
) -> list[SimRow]:
    """``simulate_steps`` run to its end, for callers that show no progress."""
    steps = simulate_steps(strategies, task_for_seed, train_head, seeds, budgets, batch_fraction)
    return run_steps(steps)


@dataclass(frozen=True)
class Summary:
    strategy: str
    budget: float
    hybrid_mean: float
    hybrid_std: float
    head_mean: float
    head_std: float
    oracle: float
    seeds: int = 1  # the spreads are over this many seeds: none with one


def summarise(rows: Sequence[SimRow]) -> list[Summary]:
    """Mean and seed-to-seed standard deviation per (strategy, budget)."""
    groups: dict[tuple[str, float], list[SimRow]] = {}
    for row in rows:
        groups.setdefault((row.strategy, row.budget), []).append(row)
    out = []
    for (name, budget), group in groups.items():
        a = np.array([r.hybrid_acc for r in group])
        b = np.array([r.head_acc for r in group])
        o = np.array([r.oracle_acc for r in group])
        out.append(
            Summary(
                name,
                budget,
                float(a.mean()),
                float(a.std()),
                float(np.nanmean(b)),
                float(np.nanstd(b)),
                float(o.mean()),
                len({r.seed for r in group}),
            )
        )
    return out


def explained(seeds: int) -> list[str]:
    """What the metrics mean, and the spread when there is one: the plot's words as text."""
    lines = [f"{METRICS[k]}: {EXPLAINED[k]}" for k in METRICS]
    lines.append(f"oracle: {EXPLAINED['oracle']}")
    if seeds > 1:
        lines.append(f"± one standard deviation over {seeds} seeds")
    return lines


def write_csv(rows: Sequence[SimRow], path: Path) -> None:
    fields = list(SimRow.__dataclass_fields__)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([getattr(row, f) for f in fields])


def plot(summary: Sequence[Summary], path: Path, title: str) -> None:
    """Budget on x, one line per strategy (shaded: ±1 s.d. over seeds), oracle dashed; the
    legend sits below both panels, where it covers no data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(dict.fromkeys(s.strategy for s in summary))
    for ax, (metric, label) in zip(axes, METRICS.items(), strict=True):
        for name in names:
            pts = sorted((s for s in summary if s.strategy == name), key=lambda s: s.budget)
            x = np.array([100 * s.budget for s in pts])
            m = np.array([getattr(s, f"{metric}_mean") for s in pts])
            sd = np.array([getattr(s, f"{metric}_std") for s in pts])
            (line,) = ax.plot(x, 100 * m, marker=".", label=name)
            ax.fill_between(x, 100 * (m - sd), 100 * (m + sd), alpha=0.15, color=line.get_color())
        if metric == "hybrid" and names:
            pts = sorted((s for s in summary if s.strategy == names[0]), key=lambda s: s.budget)
            ax.plot(
                [100 * s.budget for s in pts],
                [100 * s.oracle for s in pts],
                "k--",
                label="oracle bound",
            )
        ax.set_xlabel("human budget (% of items)")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    # One legend for both panels, below them: inside either axes it hid shaded data.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle(title)
    fig.tight_layout()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(len(handles), 6) or 1,
        fontsize=8,
        frameon=False,
    )
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)

"""The routing experiment: every strategy at budgets 0..100% on PandaLM and HH-RLHF.

PandaLM (ties in the gold removed): annotator1 is "the human", the majority of the three
annotators is gold. Two AI settings: GPT-3.5's verdicts as the AI labels, and the local default
model (Bradley-Terry head on MiniLM embeddings plus length features). HH-RLHF harmless-base:
the crowdworker's choice is both the human and gold; the local model is the AI.

How the local model is trained, honestly: per seed the items are split into a routed pool
(80%) and a test split (20%, metric (b) only). The local model's label for a pool item comes
from 5-fold cross-fitting *inside the pool on the human annotator's labels* (a head never
sees the item it labels, never sees gold, never sees the test split). This stands for a project
whose default model was trained on earlier human labels of the same kind. Five bootstrap heads
per fold give the ensemble spread. Metric (b) trains the same head on the hybrid labels of the
pool and scores it on the test split's gold.

Other AI opinions used as routing signals: the other judge (PandaLM-7B's verdicts) and, in
the GPT-3.5 setting, the local model; in the local setting, GPT-3.5 and PandaLM-7B.

``--explore thompson,ucb,bald`` adds ``learned`` with each exploration rule
(``labeler.routing.explore``) as ``learned+RULE``, against greedy ``learned`` in the same run.

Usage: python benchmarks/routing_pandalm.py [--seeds 5] [--first-seed 0] [--out /tmp/route-sim]
"""

from __future__ import annotations

import os

# Small dense solves: one BLAS thread is fastest and keeps timings stable on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_data import PairData, embeddings, load_hh, load_pandalm

from labeler.routing import RoutingInput, Strategy, make_strategy
from labeler.routing.crossfit import cross_fit
from labeler.routing.features import (
    item_tags,
    response_cosine,
    routing_features,
    text_stats,
)
from labeler.routing.learned import LearnedStrategy
from labeler.routing.logistic import HeadTrainer, logistic_head
from labeler.routing.siblings import response_ids
from labeler.routing.simulate import SimTask, plot, simulate, summarise, write_csv
from labeler.routing.target import replay_target

STRATEGIES = ("random", "margin", "ensemble", "learned", "hyper")
N_FOLDS, N_MEMBERS = 5, 5


def head_matrix(data: PairData, emb: dict[str, np.ndarray], dims: int) -> np.ndarray:
    """f(B) - f(A): embedding difference (PCA-reduced) plus length features."""
    diff = emb["pair_b"] - emb["pair_a"]
    diff = diff - diff.mean(axis=0)
    if dims < diff.shape[1]:
        _, _, vt = np.linalg.svd(diff, full_matrices=False)
        diff = diff @ vt[:dims].T
    lt = np.log1p(emb["tok_b"]) - np.log1p(emb["tok_a"])
    lc = np.log1p([len(s) for s in data.b]) - np.log1p([len(s) for s in data.a])
    return np.column_stack([diff * 4.0, lt, lc, np.sign(lc)])


def verdict_probs(labels: np.ndarray, garbage: np.ndarray | None = None) -> np.ndarray:
    p = np.where(labels == 1, 1.0, np.where(labels == 0, 0.0, 0.5))
    if garbage is not None:
        p[garbage] = np.nan
    return p


def make_tasks(
    data: PairData, emb: dict[str, np.ndarray], ai: str, train_head: HeadTrainer, dims: int
) -> Callable[[int], SimTask]:
    x_all = head_matrix(data, emb, dims)
    stats_all = text_stats(data.prompts, data.a, data.b, list(data.turns))
    cos_all = response_cosine(emb["resp_a"], emb["resp_b"])
    tags_all, tag_names = item_tags(stats_all, cos_all, data.metadata)
    pairs_all = response_ids(data.prompts, data.a, data.b)

    def task(seed: int) -> SimTask:
        rng = np.random.default_rng(seed)
        n = len(data.gold)
        perm = rng.permutation(n)
        n_test = round(0.2 * n)
        test, pool = np.sort(perm[:n_test]), np.sort(perm[n_test:])
        x = x_all[pool]
        members = cross_fit(x, data.human[pool], train_head, rng, folds=N_FOLDS, members=N_MEMBERS)
        local_p = members.mean(axis=1)
        local_label = (local_p > 0.5).astype(np.int8)
        judges = {k: v[pool] for k, v in data.judges.items()}
        if ai == "local":
            ai_label = local_label
            judge_cols = [verdict_probs(v) for v in judges.values()]
        else:
            ai_label = judges[ai]
            judge_cols = [verdict_probs(v) for k, v in judges.items() if k != ai]
        base = RoutingInput(
            ai_label=ai_label,
            margin=np.abs(local_p - 0.5),
            member_probs=members,
            judge_probs=np.column_stack(judge_cols) if judge_cols else None,
            tags=tags_all[pool],
            tag_names=tag_names,
            head_features=x,
            response_pairs=pairs_all[pool],
        )
        stats = text_stats(
            [data.prompts[i] for i in pool],
            [data.a[i] for i in pool],
            [data.b[i] for i in pool],
            list(data.turns[pool]),
        )
        feats, names = routing_features(base, stats, cos_all[pool])
        inp = RoutingInput(
            **{
                **base.__dict__,
                "features": feats,
                "feature_names": names,
                "human_label": None,
                "eligible": None,
            }
        )
        fit = f"out-of-fold ({N_FOLDS} folds)" if ai == "local" else "independent"
        return SimTask(
            inp, data.human[pool], data.gold[pool], x_all[test], data.gold[test], ai, fit
        )

    return task


def target_coverage(
    tasks: Callable[[int], SimTask], seeds: list[int], target: float, draws: int = 10
) -> str:
    """The target mode replayed ``draws`` times per seed (fresh random audits of 10%): how
    often the finished set reached ``target`` at confidence 0.9, and at what cost."""
    trials = []
    for seed in seeds:
        task = tasks(seed)
        risk = make_strategy("learned").decide(task.inp, 0, np.random.default_rng(seed)).score
        for d in range(draws):
            rng = np.random.default_rng([seed, d, 7])
            trials.append(
                replay_target(task.inp.ai_label, task.human, risk, target, 0.9, 0.1, rng)
            )
    held = sum(t.held for t in trials)
    n = len(tasks(seeds[0]).human)
    share = np.mean([(t.human + t.audited) / n for t in trials])
    acc = np.mean([t.accuracy for t in trials])
    return (
        f"target {target:.0%} at 90% confidence: held in {held}/{len(trials)} trials "
        f"({held / len(trials):.0%}); people labelled {share:.0%} of items (audit 10% "
        f"included), finished accuracy {acc:.1%} (vs the human's labels)"
    )


def report(title: str, rows: list, out: Path, stem: str) -> None:
    summary = summarise(rows)
    write_csv(rows, out / f"{stem}.csv")
    plot(summary, out / f"{stem}.png", title)
    by = {(s.strategy, round(s.budget, 2)): s for s in summary}
    print(f"\n## {title}")
    ai_acc = rows[0].ai_acc
    print(f"AI accuracy on the pool (seed 0): {100 * ai_acc:.1f}%; cells: mean ± s.d. over seeds")
    print("| strategy | (a) 10% | (a) 25% | (a) 50% | (b) 0% | (b) 10% | (b) 25% | (b) 50% |")
    print("|---|---|---|---|---|---|---|---|")
    names = list(dict.fromkeys(s.strategy for s in summary))
    for name in names:
        cells = [
            f"{100 * by[name, b].hybrid_mean:.1f} ± {100 * by[name, b].hybrid_std:.1f}"
            for b in (0.1, 0.25, 0.5)
        ]
        cells += [
            f"{100 * by[name, b].head_mean:.1f} ± {100 * by[name, b].head_std:.1f}"
            for b in (0.0, 0.1, 0.25, 0.5)
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    oracle = [f"{100 * by['random', b].oracle:.1f}" for b in (0.1, 0.25, 0.5)]
    print("| oracle bound | " + " | ".join(oracle) + " | | | | |")
    r, o = by["random", 0.25].hybrid_mean, by["random", 0.25].oracle
    for name in names:
        s = by[name, 0.25].hybrid_mean
        print(f"gap closed at 25% by {name}: {100 * (s - r) / max(o - r, 1e-9):.0f}%")
    for name in names:
        low = [
            f"{b:.0%}"
            for (n, b), s in by.items()
            if n == name and 0 < b < 1 and s.hybrid_mean < by["random", b].hybrid_mean
        ]
        print(f"{name} below random at: {', '.join(low) or 'no budget'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/route-sim"))
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--only", default="")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--explore", default="", help="exploration rules to add to learned")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    head = logistic_head(l2=3.0)
    strategies: dict[str, Callable[[], Strategy]] = {
        name: functools.partial(make_strategy, name, head)
        for name in STRATEGIES
        if name in args.strategies.split(",")
    }
    for rule in filter(None, args.explore.split(",")):
        strategies[f"learned+{rule}"] = functools.partial(LearnedStrategy, explore=rule)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    setups = [
        ("pandalm", load_pandalm, "gpt-3.5"),
        ("pandalm", load_pandalm, "local"),
        ("hh-harmless", load_hh, "local"),
    ]
    for name, loader, ai in setups:
        if args.only and args.only not in f"{name}-{ai}":
            continue
        t0 = time.perf_counter()
        data = loader()
        emb = embeddings(data)
        tasks = functools.cache(make_tasks(data, emb, ai, head, args.dims))
        rows = simulate(strategies, tasks, head, seeds)
        title = (
            f"{name}, AI = {ai}, human = {'annotator1' if name == 'pandalm' else 'crowdworker'}"
        )
        report(title, rows, args.out, f"{name}-{ai}")
        for target in (0.9, 0.95):
            print(target_coverage(tasks, seeds, target))
        print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

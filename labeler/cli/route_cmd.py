"""``prefmark route PROJECT.db``: route items, simulate routing, or import AI-judge verdicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click

from labeler.cli.common import open_project_or_fail, run_workflow
from labeler.routing import STRATEGY_NAMES
from labeler.routing.simulate import explained
from labeler.routing.target import DEFAULT_CONFIDENCE, TARGET_BOUNDS
from labeler.workflows.routing import JudgeOptions, import_judge, route
from labeler.workflows.simulation import SimulationReport, simulate


@click.command("route")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_NAMES),
    default="learned",
    show_default=True,
    help="How to pick the items people label: random; margin (least sure AI labels first); "
    "ensemble (a judge contradicting its swapped-order run first, then where AI opinions "
    "disagree most); learned (a Bayesian model of where the AI is wrong, updated by every "
    "human label); hyper (experimental, HyPER: the human set that trains the best reward "
    "model).",
)
@click.option(
    "--budget",
    default="0.25",
    show_default=True,
    help="Human budget: a fraction of the unlabelled items (<= 1), a count (> 1), or hours "
    "of people's time such as 3h or 90m (at the pace measured on this project's labels).",
)
@click.option(
    "--target-accuracy",
    type=click.FloatRange(*TARGET_BOUNDS, max_open=True),
    default=None,
    help="Instead of a budget: send the fewest items to people so that the finished set is at "
    "least this accurate (e.g. 0.95) with --confidence, judged on a reviewed random audit. "
    "Prints the trade-off between people's items (and hours) and accuracy.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(*TARGET_BOUNDS, max_open=True),
    default=DEFAULT_CONFIDENCE,
    show_default=True,
    help="With --target-accuracy: how sure the promise must be (Clopper-Pearson bounds, "
    "tested in sequence, so the chance it fails is at most 1 - confidence).",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Show what routing would do (and the --target-accuracy trade-off); write nothing.",
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
    "--simulate",
    "simulate_flag",
    is_flag=True,
    help="Replay every strategy on the human-labelled items. A model trained on this "
    "project is scored out-of-fold (5 folds): never on an item whose label it learnt from.",
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
    help="Simulation: the annotator who plays the human (default: the label that counts); "
    "only the items they labelled are replayed.",
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
    "imported record (fields no shape uses are kept as item metadata), e.g. 'idx' or the "
    "data's own 'id' (which also matches prefmark's item ids). Dots reach nested fields.",
)
@click.option(
    "--verdict-field",
    default="gpt_result",
    show_default=True,
    help="Judge import: the record field holding the verdict (the default is PandaLM's "
    "'gpt_result'); dots reach nested fields, e.g. judges.gpt4.ab.",
)
@click.option(
    "--map",
    "verdict_map",
    default=None,
    help="Verdict mapping, VERDICT=first|second|a|b|tie|skip, e.g. 'A=a,B=b,tie=tie'. "
    "Default: 1/a = first, 2/b = second, 0/tie = tie, garbage = skip (any case).",
)
@click.option(
    "--swapped",
    is_flag=True,
    help="The judge was shown the responses in swapped order (the item's second response "
    "first). Its verdicts are read in the order it saw: 'first' (1, a) means the item's second "
    "response. Import both runs under one --judge-name: routing pairs them and sends a judge "
    "that contradicts itself to people first.",
)
def route_command(
    project: Path,
    strategy: str,
    budget: str,
    target_accuracy: float | None,
    confidence: float,
    preview: bool,
    seed: int,
    audit: float,
    ai_source: str | None,
    simulate_flag: bool,
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
      prefmark route P.db --budget 3h
      prefmark route P.db --target-accuracy 0.95 --confidence 0.9 --preview
      prefmark route P.db --simulate --out sim/ --seeds 3
      prefmark route P.db --import-judge gpt.json --judge-name gpt-3.5 --key idx
    """
    db = open_project_or_fail(project, create=False)
    if judge_file is not None:
        if not judge_name:
            raise click.UsageError("--import-judge needs --judge-name")
        options = JudgeOptions(judge_file, judge_name, key, verdict_field, verdict_map, swapped)
        click.echo(run_workflow(import_judge(db, options), "importing verdicts").summary())
        return
    if simulate_flag:
        job = simulate(
            db, out, seeds=seeds, ai_source=ai_source, human=human,
            title=f"{project.name}: routing simulation", target=target_accuracy,
            confidence=confidence,
        )  # fmt: skip
        _print_simulation(run_workflow(job, "simulated", steps=True, describe=_sim_step()))
        return
    amount, hours = parse_budget(budget)
    routed = route(
        db, strategy=strategy, budget=amount, seed=seed, audit=audit, ai_source=ai_source,
        hours=hours, target_accuracy=target_accuracy, confidence=confidence, preview=preview,
    )  # fmt: skip
    click.echo(run_workflow(routed, "routing").summary())


def parse_budget(text: str) -> tuple[float, float | None]:
    """``0.25`` / ``300`` as they are; ``3h``, ``1.5h`` or ``90m`` as (0, hours)."""
    value = text.strip().lower()
    try:
        if value.endswith("h"):
            return 0.0, float(value[:-1])
        if value.endswith("m"):
            return 0.0, float(value[:-1]) / 60
        amount = float(value)
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give a fraction, a count, or hours such as 3h", param_hint="--budget"
        ) from None
    if amount < 0:
        raise click.BadParameter(f"{text!r} is negative", param_hint="--budget")
    return amount, None


def _print_simulation(report: SimulationReport) -> None:
    click.echo(report.headline())
    seeds = max((s.seeds for s in report.summary_rows), default=1)
    for line in explained(seeds):
        click.echo(f"  {line}")

    def spread(std: float) -> str:
        return f" ± {100 * std:4.1f}" if seeds > 1 else ""

    for s in sorted(report.summary_rows, key=lambda s: (s.budget, s.strategy)):
        if round(s.budget * 100) in (10, 25, 50):
            click.echo(
                f"{100 * s.budget:>4.0f}%  {s.strategy:<9} (a) {100 * s.hybrid_mean:5.1f}"
                f"{spread(s.hybrid_std)}   (b) {100 * s.head_mean:5.1f}{spread(s.head_std)}"
                f"   oracle {100 * s.oracle:5.1f}"
            )
    coverage = report.coverage()
    if coverage:
        click.echo(coverage)
    click.echo(f"wrote {report.csv_path} and {report.png_path}")


def _sim_step() -> Callable[[int, int], str]:
    """Names the run that just ended and the next, with the time left: each strategy's time
    on the seeds so far predicts its time on the rest (``hyper`` takes far the longest)."""
    started = time.monotonic()
    last = started
    spent = [0.0] * len(STRATEGY_NAMES)

    def describe(done: int, total: int) -> str:
        nonlocal last
        now = time.monotonic()
        k = len(STRATEGY_NAMES)
        spent[(done - 1) % k] += now - last
        last = now
        seeds_done = [done // k + (1 if i < done % k else 0) for i in range(k)]
        per_seed = [spent[i] / max(seeds_done[i], 1) for i in range(k)]
        runs_left = [total // k - seeds_done[i] for i in range(k)]
        if min(seeds_done) == 0:  # a strategy not timed yet: guess from the others' mean
            known = [p for p, s in zip(per_seed, seeds_done, strict=True) if s] or [0.0]
            per_seed = [
                p if s else sum(known) / len(known)
                for p, s in zip(per_seed, seeds_done, strict=True)
            ]
        left = sum(p * r for p, r in zip(per_seed, runs_left, strict=True))
        name, seed = STRATEGY_NAMES[(done - 1) % k], (done - 1) // k
        following = f"; next {STRATEGY_NAMES[done % k]}" if done < total else ""
        return f"{name}, seed {seed} done{following}; about {_duration(left)} left"

    return describe


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"

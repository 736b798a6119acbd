"""``prefmark train`` and ``prefmark score``: the project's reward model, trained and applied."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TypeVar

import click

from labeler.cli.common import open_project_or_fail, progress_bar

T = TypeVar("T")


def drive(job: Generator[tuple[int, int], None, T], label: str) -> T:
    """Run a progress-yielding core job under a click progress bar; returns its result."""
    done, total = next(job)
    with progress_bar(max(total, 1), label, show_pos=True) as bar:
        bar.update(done)
        try:
            while True:
                now, total = next(job)
                bar.update(now - done)
                done = now
        except StopIteration as stop:
            result: T = stop.value
            return result


def _options(threads: int | None) -> object:
    from labeler.cli.model_adapters import runtime_options

    return runtime_options(threads)


threads_option = click.option(
    "--threads", type=click.IntRange(1), default=None,
    help="onnxruntime threads (default: all cores but one, leaving one for the app).",
)  # fmt: skip


@click.command("train")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--heads",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Bootstrap ensemble size; the spread of the heads is the model's uncertainty.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the bootstrap.")
@click.option(
    "--int8", is_flag=True, help="Use the int8-quantised encoder (faster, slightly less exact)."
)
@threads_option
def train_command(project: Path, heads: int, seed: int, int8: bool, threads: int | None) -> None:
    """Train the built-in default reward model on PROJECT's human labels.

    Embeds each labelled response once with the bundled MiniLM encoder (cached in the
    project), then fits a Bradley-Terry head ensemble on the human preferences: pairwise
    labels, rankings (as pairs) and thumbs (up beats down). Model labels are never trained on.
    """
    from labeler.cli.model_adapters import DefaultFeaturizer, default_trainer, save_head
    from labeler.training import NotEnoughLabelsError, holdout_accuracy, train_head

    db = open_project_or_fail(project, create=False)
    options = _options(threads)
    featurizer = DefaultFeaturizer(options, int8=int8)
    try:
        head = drive(
            train_head(db, featurizer, default_trainer(heads, seed, options)), "embedding"
        )
    except NotEnoughLabelsError as exc:
        raise click.ClickException(str(exc)) from exc
    version = save_head(db, featurizer, head)
    accuracy, n_test = holdout_accuracy(db, featurizer, default_trainer(heads, seed, options))
    click.echo(f"trained {version}; score with `prefmark score {project}`")
    if n_test:
        click.echo(
            f"held-out check: {accuracy:.1%} pairwise accuracy on {n_test} pairs from a fifth "
            "of the labelled items the model was not trained on (the saved model uses them all)"
        )


@click.command("score")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model",
    default="default",
    show_default=True,
    help="'default' (the project's trained default model) or a folder holding "
    "model.onnx and tokenizer.json (an ONNX sequence-classification reward model).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=64,
    show_default=True,
    help="Items per committed batch (an interruption loses at most one batch).",
)
@click.option("--int8", is_flag=True, help="Use the int8-quantised encoder for the default model.")
@threads_option
def score_command(
    project: Path, model: str, batch_size: int, int8: bool, threads: int | None
) -> None:
    """Score every unscored response in PROJECT and write model labels.

    Rewards (and the ensemble's uncertainty) are cached per model version; an interrupted
    run resumes without rescoring what is done. Each item gets a model label: for two
    responses the likelier side with P(A better) = sigmoid(r_a - r_b) as confidence; for more,
    the full order by reward.
    """
    from labeler.cli.model_adapters import scorer_for
    from labeler.scoring import score_project

    db = open_project_or_fail(project, create=False)
    try:
        scorer = scorer_for(db, model, _options(threads), int8=int8)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    scored = drive(score_project(db, scorer, batch_size=batch_size), "scoring")
    click.echo(f"scored {scored:,} items with {scorer.version}")

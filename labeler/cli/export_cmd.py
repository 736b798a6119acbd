"""``prefmark export``: write the project's labels as a training data set."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import click

from labeler.cli.common import open_project_or_fail, run_workflow
from labeler.exporters import (
    TARGETS,
    ConflictPolicy,
    ExportOptions,
    PairRule,
    SourceFilter,
    Variant,
)
from labeler.workflows.exporting import export


def _choice(enum: type[StrEnum]) -> click.Choice:
    return click.Choice([m.value for m in enum])


@click.command("export")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "target",
    type=click.Choice(list(TARGETS)),
    default="trl-preference",
    show_default=True,
    help="trl-preference: prompt/chosen/rejected (+margin with --margin) for DPO, CPO, ORPO "
    "and reward models. trl-unpaired: prompt/completion/label for KTO, in a seeded shuffled "
    "order. ranked: prompt/"
    "completions/ranks/scores for listwise training. openai-preference: OpenAI DPO "
    "fine-tuning JSONL. llama-factory: preference data plus dataset_info.json. openrlhf: "
    "prompt/chosen/rejected for OpenRLHF.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write (it appears whole once the export is complete; an earlier prefmark "
    "export there is replaced, any other non-empty folder is refused).",
)
@click.option(
    "--variant",
    type=_choice(Variant),
    default="auto",
    show_default=True,
    help="standard: plain strings. conversational: lists of role/content messages. auto: "
    "conversational when any item was imported as a chat.",
)
@click.option(
    "--source",
    type=_choice(SourceFilter),
    default="finished",
    show_default=True,
    help="Which labels: finished (the hybrid data set: people's labels plus the model labels "
    "routing accepted), human (made, imported or reviewed by people), model (model labels "
    "routing accepted), reviewed (model labels a person accepted or overrode), all (also "
    "model suggestions on items still waiting for a person).",
)
@click.option(
    "--annotator",
    "annotators",
    multiple=True,
    help="Only labels by this person or model id (repeat for several).",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    help="Leave out model labels less confident than this (people's labels are kept).",
)
@click.option(
    "--route",
    "routes",
    multiple=True,
    type=click.Choice(["human", "model", "review"]),
    help="Only items routing sent here (repeat for several).",
)
@click.option("--tag", "tags", multiple=True, help="Only items with this tag (repeat: any of).")
@click.option(
    "--keep-ties",
    is_flag=True,
    help="Keep ties and both-bad pairs (in KTO a tie makes both desirable).",
)
@click.option(
    "--conflicts",
    type=_choice(ConflictPolicy),
    default=None,
    help="Items whose human labels disagree: majority vote (ties go to the latest), the "
    "latest label, drop the item, or dawid-skene (the verdict most likely right, weighing "
    "each annotator by estimated reliability; people's labels then carry that probability "
    "as their confidence). Default: the project's setting (prefmark settings).",
)
@click.option(
    "--test-size",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.1,
    show_default=True,
    help="Share of prompts in the test split (0: train only). No prompt is in both.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the split hash and of trl-unpaired's record order.",
)
@click.option("--bare", is_flag=True, help="Only the format's own columns, no provenance.")
@click.option("--parquet", is_flag=True, help="Write Parquet instead of JSONL (needs pyarrow).")
@click.option(
    "--pairs",
    type=_choice(PairRule),
    default="all",
    show_default=True,
    help="How rankings, ratings and thumbs become pairs: all ordered pairs, best vs each, "
    "adjacent, or best vs worst.",
)
@click.option(
    "--kto-require-support",
    is_flag=True,
    help="trl-unpaired: keep a winner as desirable only if another label of the item (a "
    "rating, thumbs, another annotator or the model) also calls it good.",
)
@click.option(
    "--margin",
    is_flag=True,
    help="trl-preference, openrlhf: add a margin column for reward-model training: the "
    "strength people stated (1 slightly, 2 much better), 0 for other pairs. RewardTrainer "
    "subtracts it inside the loss.",
)
@click.option("--license", help="Licence for the dataset card (default: the project's).")
@click.option("--name", help="Dataset name for the card (default: the project's or folder's).")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    help="Processes to build JSONL records with (default: 2 from 100,000 items on a "
    "machine with 2 cores or more, else 1). The files are the same either way.",
)
def export_command(
    project: Path,
    out_dir: Path,
    target: str,
    variant: str,
    source: str,
    annotators: tuple[str, ...],
    min_confidence: float | None,
    routes: tuple[str, ...],
    tags: tuple[str, ...],
    keep_ties: bool,
    conflicts: str | None,
    test_size: float,
    seed: int,
    bare: bool,
    parquet: bool,
    pairs: str,
    kto_require_support: bool,
    margin: bool,
    license: str | None,
    name: str | None,
    workers: int | None,
) -> None:
    """Export PROJECT's labels to a folder that `datasets.load_dataset(FOLDER, FORMAT)` loads.

    The folder gets data/train and data/test files, a README.md dataset card (counts by
    label source, filters, routing, licence, this command) and prefmark-export.json.
    """
    if not project.is_file():
        raise click.ClickException(f"{project}: no such project file")
    options = ExportOptions(
        target=target,
        variant=Variant(variant),
        source=SourceFilter(source),
        annotators=annotators,
        min_confidence=min_confidence,
        routes=routes,
        tags=tags,
        keep_ties=keep_ties,
        conflicts=None if conflicts is None else ConflictPolicy(conflicts),
        test_size=test_size,
        seed=seed,
        bare=bare,
        parquet=parquet,
        pairs=PairRule(pairs),
        kto_require_support=kto_require_support,
        margin=margin,
        license=license,
        name=name,
        workers=workers,
    )
    options = replace(options, command=options.command_line(str(project), str(out_dir)))
    db = open_project_or_fail(project, create=False, readonly=True)
    try:
        report = run_workflow(export(db, out_dir, options), "Exporting")
    finally:
        db.conn.close()
    click.echo(report.summary())

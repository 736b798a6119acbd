"""``prefmark assign``, ``merge`` and ``gold``: a team labelling on their own laptops.

``assign`` writes one project per annotator, ``merge`` brings their label events back, and
``gold`` stores known answers whose items ``assign`` mixes into every queue unmarked.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from labeler.cli.common import open_project_or_fail, run_workflow
from labeler.store.gold import UnknownGoldItemError, set_gold
from labeler.types import LabelValue, value_from_json
from labeler.workflows.team import assign, merge

_PROJECT = click.Path(dir_okay=False, path_type=Path)


@click.command("assign")
@click.argument("project", type=_PROJECT)
@click.option("--annotators", required=True, help="Comma-separated names: alice,bob,carol.")
@click.option(
    "--overlap",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of the items labelled by two annotators (for agreement and adjudication).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split.")
@click.option(
    "--gold-rate",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of each annotator's queue that is gold items (see `prefmark gold`).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the annotators' files (default: beside PROJECT).",
)
def assign_command(
    project: Path,
    annotators: str,
    overlap: float,
    seed: int,
    gold_rate: float,
    out_dir: Path | None,
) -> None:
    """Split PROJECT's unlabelled items between annotators: one project file each.

    \b
      prefmark assign P.db --annotators alice,bob,carol --overlap 0.1 --seed 7
    """
    names = [a for a in annotators.split(",") if a.strip()]
    job = assign(project, names, overlap, seed=seed, gold_rate=gold_rate, out_dir=out_dir)
    for a in run_workflow(job, "assigning"):
        click.echo(
            f"{a.path}: {a.items:,} items for {a.annotator} "
            f"({a.shared:,} shared with another annotator, {a.gold:,} gold)"
        )


@click.command("merge")
@click.argument("project", type=_PROJECT)
@click.argument("others", nargs=-1, required=True, type=_PROJECT)
def merge_command(project: Path, others: tuple[Path, ...]) -> None:
    """Bring the label events of OTHERS (annotators' projects) into PROJECT.

    Events already present are never added twice; a file that is not a project of this
    version is refused with nothing changed.

    \b
      prefmark merge P.db P.alice.db P.bob.db P.carol.db
    """
    report = run_workflow(merge(project, list(others)), "merging")
    for line in report.lines():
        click.echo(line)


def _gold_line(line: str, where: str) -> tuple[str, LabelValue]:
    try:
        record = json.loads(line)
        item_id = record["id"]
        if "choice" in record:
            return str(item_id), value_from_json("pairwise", {"choice": record["choice"]})
        return str(item_id), value_from_json(record["kind"], record["value"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise click.ClickException(
            f"{where}: {exc!s} (expected id and choice, or kind and value)"
        ) from None


@click.command("gold")
@click.argument("project", type=_PROJECT)
@click.argument("answers", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def gold_command(project: Path, answers: Path) -> None:
    """Store known answers for items of PROJECT, from a JSONL file of
    {"id": ITEM, "choice": "a"|"b"|"tie"|"both_bad"} or {"id", "kind", "value"} lines.

    `prefmark assign --gold-rate` mixes these items into every annotator's queue, unmarked;
    `prefmark stats` shows each annotator's accuracy on them.
    """
    found: dict[str, LabelValue] = {}
    with answers.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                item_id, value = _gold_line(line, f"{answers}:{n}")
                found[item_id] = value
    db = open_project_or_fail(project, create=False)
    try:
        stored = set_gold(db, found)
    except UnknownGoldItemError as exc:
        raise click.ClickException(f"{answers}: item {exc.args[0]} is not in {project}") from None
    finally:
        db.conn.close()
    click.echo(f"{project}: {stored:,} gold answers stored")

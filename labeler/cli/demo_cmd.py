"""``prefmark demo``: the whole pipeline, headless, on the bundled demo data.

Import -> a simulated annotator labels some items -> an AI judge's verdicts are imported ->
the default reward model is trained on the human labels and scores everything -> routing
sends the rest to people, the model or review under a budget -> DPO export. Every step is the
same workflow the CLI commands and the app run; nothing here is demo-only logic except
playing the annotator (with the real PandaLM annotators' votes).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from labeler.cli.common import run_workflow
from labeler.demo import (
    JUDGE,
    JUDGE_OPTIONS,
    VOTE_CHOICE,
    create_demo_project,
    demo_pair_ids,
    demo_votes,
)
from labeler.store import record_label
from labeler.store.resolved import resolved_label
from labeler.types import Label, PairwiseValue, Source

if TYPE_CHECKING:
    import sqlite_utils

ANNOTATOR = "annotator1"


def _votes_by_item(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    ids = demo_pair_ids(db)
    return {ids[str(v["idx"])]: v for v in demo_votes() if str(v["idx"]) in ids}


def _play_annotator(db: sqlite_utils.Database, votes: dict[str, dict[str, Any]], n: int) -> int:
    """Label the first ``n`` demo pairs with PandaLM annotator 1's real votes."""
    from labeler.session import shown_order_for

    done = 0
    for item_id, vote in votes.items():
        if done == n:
            break
        if resolved_label(db, item_id) is not None:
            continue
        choice = VOTE_CHOICE[int(vote["annotators"][0])]
        record_label(
            db,
            Label(item_id, PairwiseValue(choice), Source.HUMAN, ANNOTATOR,
                  shown_order=shown_order_for(item_id, 2, 0), time_ms=20_000),
        )  # fmt: skip
        done += 1
    return done


def _agreement(db: sqlite_utils.Database, votes: dict[str, dict[str, Any]], who: str) -> float:
    """Share of unlabelled demo pairs where ``who``'s model label matches the human majority."""
    hits = []
    for item_id, vote in votes.items():
        majority = Counter(int(v) for v in vote["annotators"]).most_common(1)[0][0]
        row = db.conn.execute(
            "SELECT value FROM labels WHERE item_id = ? AND annotator = ? ORDER BY id DESC",
            (item_id, who),
        ).fetchone()
        human = db.conn.execute(
            "SELECT 1 FROM labels WHERE item_id = ? AND source = 'human'", (item_id,)
        ).fetchone()
        if row is None or human is not None or majority == 0:
            continue
        hits.append(json.loads(row[0])["choice"] == VOTE_CHOICE[majority].value)
    return float(np.mean(hits)) if hits else float("nan")


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the demo project and its export (default: a new temporary "
    "folder, printed at the end).",
)
@click.option(
    "--labels",
    "n_labels",
    type=click.IntRange(20),
    default=120,
    show_default=True,
    help="How many items the simulated annotator labels before the model trains.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, 1),
    default=0.25,
    show_default=True,
    help="Share of the remaining pairs routed to people.",
)
@click.option(
    "--strategy",
    default="learned",
    show_default=True,
    help="Routing strategy (random, margin, ensemble, learned, hyper).",
)
def demo_command(out: Path | None, n_labels: int, budget: float, strategy: str) -> None:
    """Run the whole pipeline on the bundled demo data and print a summary (no screen needed).

    Open the result in the app afterwards with `prefmark gui OUT/demo.db`.
    """
    from labeler.exporters import ExportOptions
    from labeler.store.stats import project_stats
    from labeler.workflows.exporting import export
    from labeler.workflows.model_runs import score, train
    from labeler.workflows.models import DEFAULT_MODEL_NAME, encoder_note
    from labeler.workflows.routing import import_judge, route

    out = out or Path(tempfile.mkdtemp(prefix="prefmark-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    project = out / "demo.db"
    db = create_demo_project(project)
    stats = project_stats(db)
    click.echo(
        f"1. imported {stats['items']} items into {project} "
        f"({stats['by_responses'].get('2', 0)} pairs, "
        f"{stats['items'] - stats['by_responses'].get('2', 0)} listwise)"
    )
    votes = _votes_by_item(db)
    labelled = _play_annotator(db, votes, n_labels)
    click.echo(f"2. {ANNOTATOR} labelled {labelled} pairs (real PandaLM votes)")
    judged = run_workflow(import_judge(db, JUDGE_OPTIONS), "   importing verdicts")
    click.echo(f"3. imported {judged.imported} {JUDGE} verdicts as model labels")

    if note := encoder_note():
        click.echo(f"   {note}")
    trained = run_workflow(train(db), "   embedding labelled pairs and fitting")
    scored = run_workflow(score(db), "   scoring")
    click.echo(
        f"4. trained {trained.version} on the human labels and scored {scored.scored} items"
    )
    click.echo(
        f"   agreement with the 3-annotator majority on unlabelled pairs: "
        f"default model {_agreement(db, votes, DEFAULT_MODEL_NAME):.1%}, "
        f"{JUDGE} {_agreement(db, votes, JUDGE):.1%}"
    )
    routed = run_workflow(
        route(db, strategy=strategy, budget=budget, seed=0, audit=0.05, ai_source=JUDGE),
        "   routing",
    )
    click.echo(
        f"5. {strategy} routing at {budget:.0%}: {routed.human} to people, "
        f"{routed.model} to the model, {routed.review} to review"
    )
    options = ExportOptions(target="trl-preference", command=f"prefmark demo --out {out}")
    report = run_workflow(export(db, out / "dpo", options), "   exporting")
    click.echo(f"6. exported DPO data to {out / 'dpo'}: {report.summary()}")
    click.echo(f"\nOpen it in the app: prefmark gui {project}")

"""``prefmark route`` and ``stats`` as a user meets them: which AI source, warnings, help."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.routing.project import choose_ai_source
from labeler.store import add_items, insert_labels
from labeler.store.reward_models import project_trained_sources, register_model
from labeler.store.routes import routing_arrays
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

N = 200
TRAINED_VERSION = "minilm-test+bt8-test"


def _choice(b: bool) -> PairwiseValue:
    return PairwiseValue(PairChoice.B if b else PairChoice.A)


def make_project(path: Path, n_human: int, trained: bool = False) -> None:
    """``N`` pairs; ``n_human`` human labels; ``big`` labels every item and agrees with people
    60% of the time, ``good`` labels the last three quarters and agrees 85% of the time; with
    ``trained``, ``prefmark-default`` (a head registered as trained here) agrees 100%."""
    rng = np.random.default_rng(0)
    items = [
        Item(
            prompt=f"question {i}",
            responses=(Response("short " * (1 + i % 4)), Response("longer answer " * (1 + i % 7))),
            metadata={"idx": i},
        )
        for i in range(N)
    ]
    truth = rng.random(N) < 0.5
    big = np.where(rng.random(N) < 0.6, truth, ~truth)
    good = np.where(rng.random(N) < 0.85, truth, ~truth)
    db = open_db(path)
    add_items(db, items)
    labels = [
        Label(it.id, _choice(bool(truth[i])), Source.HUMAN, "ann")
        for i, it in enumerate(items[:n_human])
    ]
    labels += [
        Label(it.id, _choice(bool(big[i])), Source.MODEL, "big") for i, it in enumerate(items)
    ]
    labels += [
        Label(it.id, _choice(bool(good[i])), Source.MODEL, "good")
        for i, it in enumerate(items)
        if i >= N // 4
    ]
    if trained:
        register_model(db, TRAINED_VERSION, kind="default-head", name="prefmark-default")
        labels += [
            Label(
                it.id,
                _choice(bool(truth[i])),
                Source.MODEL,
                "prefmark-default",
                model_version=TRAINED_VERSION,
            )
            for i, it in enumerate(items)
        ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.conn.close()


def test_route_picks_the_source_agreeing_most_with_people(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=100)
    result = CliRunner().invoke(main, ["route", str(project), "--strategy", "margin"])
    assert result.exit_code == 0, result.output
    line = next(s for s in result.output.splitlines() if s.startswith("AI labels from"))
    assert line.startswith("AI labels from good (agrees with people on")
    assert "of 50 items" in line  # only items both labelled count
    assert "; big " in line


def test_too_little_overlap_falls_back_to_the_label_count(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=10)
    result = CliRunner().invoke(main, ["route", str(project), "--strategy", "margin"])
    assert result.exit_code == 0, result.output
    assert "AI labels from big (most labels (200)" in result.output


def test_explicit_ai_wins_and_unknown_ai_fails(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=100)
    runner = CliRunner()
    ok = runner.invoke(main, ["route", str(project), "--strategy", "margin", "--ai", "big"])
    assert ok.exit_code == 0, ok.output
    assert "AI labels from big (chosen by name)" in ok.output
    bad = runner.invoke(main, ["route", str(project), "--ai", "nope"])
    assert bad.exit_code == 1
    assert "no model labels from 'nope'" in bad.output


def test_a_model_trained_on_these_labels_does_not_win_on_agreement(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=100, trained=True)
    db = open_db(project)
    assert project_trained_sources(db) == {"prefmark-default"}
    choice = choose_ai_source(
        routing_arrays(db, with_text=False), None, trained={"prefmark-default"}
    )
    db.conn.close()
    assert choice.source == "good"
    assert choice.agreement["prefmark-default"] == (1.0, 100)
    assert "prefmark-default 100% on its own training labels" in choice.reason


def test_simulation_scores_a_model_trained_here_out_of_fold(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=100, trained=True)
    runner = CliRunner()
    args = ["route", str(project), "--simulate", "--seeds", "1", "--out", str(tmp_path / "sim")]
    trained = runner.invoke(main, [*args, "--ai", "prefmark-default"])
    assert trained.exit_code == 0, trained.output
    headline = trained.stdout.splitlines()[0]
    # Its stored labels copy every human label; out-of-fold it is no longer 100% right.
    assert headline.startswith("AI labels from prefmark-default, out-of-fold (5 folds);")
    assert "alone they are 100.0%" not in headline
    assert "on the 100 human-labelled items" in headline
    # What (a), (b) and the oracle are, in the plot's words; one seed has no spread to show.
    lines = trained.stdout.splitlines()
    assert lines[1].startswith("  (a) hybrid label accuracy vs gold: people's labels where")
    assert lines[2].startswith("  (b) reward-model head accuracy on test split: a head trained")
    assert lines[3].startswith("  oracle: (a) had people got exactly the items the AI gets")
    rows = [line for line in lines if line.lstrip().startswith("25%")]
    assert len(rows) == 5  # one per strategy
    assert all("(a) " in row and "oracle" in row for row in rows)
    assert "±" not in trained.stdout
    csv_text = (tmp_path / "sim" / "routing_simulation.csv").read_text()
    assert "ai_source,ai_fit" in csv_text.splitlines()[0]
    assert "prefmark-default,out-of-fold (5 folds)" in csv_text
    # Progress: one line per (seed, strategy) on stderr, naming it and the time left.
    assert "simulated (1/5): random, seed 0 done; next margin; about" in trained.stderr
    assert "simulated (5/5): hyper, seed 0 done; about 0 s left" in trained.stderr
    chosen = runner.invoke(main, [*args, "--target-accuracy", "0.9"])
    assert chosen.exit_code == 0, chosen.output
    coverage = next(s for s in chosen.stdout.splitlines() if s.startswith("target 90%"))
    assert "with 90% confidence: the promise held in " in coverage
    assert " of 10 replays (" in coverage
    # The 20 held-out items are too few to compare sources on: the one with most labels.
    assert "AI labels from big, independent" in chosen.stdout
    assert "the best on its held-out items" in chosen.stdout


def test_simulation_over_seeds_shows_the_spread_and_says_what_it_is(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=50)
    out = CliRunner().invoke(
        main, ["route", str(project), "--simulate", "--seeds", "2", "--out", str(tmp_path / "s")]
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert "  ± one standard deviation over 2 seeds" in lines
    rows = [line for line in lines if line.lstrip().startswith("10%")]
    assert len(rows) == 5, out.stdout
    assert all(row.count(" ± ") == 2 for row in rows)  # (a) and (b), not the oracle


def test_stats_after_an_audit_points_to_the_review_queue(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=20)
    runner = CliRunner()
    plain = runner.invoke(main, ["route", str(project), "--strategy", "margin"])
    assert plain.exit_code == 0, plain.output
    stats = runner.invoke(main, ["stats", str(project)])
    assert "route with --audit 0.05" in stats.output
    audited = runner.invoke(
        main, ["route", str(project), "--strategy", "margin", "--audit", "0.1"]
    )
    assert audited.exit_code == 0, audited.output
    review = int(audited.output.split(" to review")[0].rsplit(", ", 1)[1])
    assert review > 0
    stats = runner.invoke(main, ["stats", str(project)])
    assert stats.exit_code == 0, stats.output
    assert f"review the {review} audit items in the review queue" in stats.output
    assert f"prefmark gui {project} → To review" in stats.output
    assert "--audit 0.05" not in stats.output


def test_every_route_option_is_explained() -> None:
    from labeler.cli.route_cmd import route_command

    options = [p for p in route_command.params if isinstance(p, click.Option)]
    assert {"strategy", "seed", "seeds", "verdict_field", "key"} <= {p.name for p in options}
    assert all(p.help for p in options if p.name != "help"), [
        p.name for p in options if not p.help
    ]


def test_route_help_names_pandalm_and_metadata_matching() -> None:
    out = " ".join(CliRunner().invoke(main, ["route", "--help"]).output.split())
    assert "PandaLM's 'gpt_result'" in out
    assert "kept as item metadata" in out

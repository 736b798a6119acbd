"""Training the default model on a project's labels and scoring with it, on real data."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.demo import create_demo_project, demo_files
from labeler.scoring import score_project
from labeler.store import iter_items, record_label
from labeler.store.scores import count_unscored
from labeler.training import NotEnoughLabelsError, train_head, training_pairs
from labeler.types import Label, PairChoice, PairwiseValue, RankingValue, Source
from labeler.workflows.models import DefaultFeaturizer, default_trainer, save_head, scorer_for


def _label_pairs(db: object, n: int) -> None:
    """Label the first n two-response items: the longer response wins (a real, learnable rule)."""
    done = 0
    for item in iter_items(db):  # type: ignore[arg-type]
        if len(item.responses) != 2 or done == n:
            continue
        a, b = (len(r.text) for r in item.responses)
        if a == b:
            continue
        choice = PairChoice.A if a > b else PairChoice.B
        record_label(db, Label(item.id, PairwiseValue(choice), Source.HUMAN, "ann"))  # type: ignore[arg-type]
        done += 1


@pytest.fixture(scope="module")
def featurizer() -> DefaultFeaturizer:
    return DefaultFeaturizer()


def test_training_needs_enough_human_pairs(tmp_path: Path, featurizer: DefaultFeaturizer) -> None:
    db = create_demo_project(tmp_path / "p.db")
    _label_pairs(db, 5)
    with pytest.raises(NotEnoughLabelsError, match="5 human preference pairs"):
        list(train_head(db, featurizer, default_trainer()))


def test_rankings_expand_into_pairs_for_training(tmp_path: Path) -> None:
    db = create_demo_project(tmp_path / "p.db")
    listwise = next(i for i in iter_items(db) if len(i.responses) == 6)
    record_label(db, Label(listwise.id, RankingValue((1, 2, 2, 3, None, 4)), Source.HUMAN, "ann"))
    pairs = training_pairs(db)
    # groups [0], [1,2], [3], [5]: 1*2 + 1*1 + 1*1 + 2*1 + 2*1 + 1*1 = 9 ordered pairs
    assert len(pairs) == 9
    assert (listwise.id, 4) not in pairs.winners + pairs.losers


def test_train_then_score_writes_rewards_and_model_labels_and_resumes(
    tmp_path: Path, featurizer: DefaultFeaturizer
) -> None:
    db = create_demo_project(tmp_path / "p.db")
    _label_pairs(db, 150)
    job = train_head(db, featurizer, default_trainer(n_heads=4))
    steps = []
    try:
        while True:
            steps.append(next(job))
    except StopIteration as stop:
        head = stop.value
    # Determinate from the first step to the last: one total (responses to embed + the head's
    # fits), never "cannot count", counting up to it.
    totals = {total for _, total in steps}
    assert len(totals) == 1
    assert totals.pop() == 150 * 2 + 5 * 8 + 1 + 4
    assert steps[0][0] == 0
    assert steps[-1][0] == steps[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(steps))
    assert len(steps) > 5 * 8  # the fits are counted one by one, not only the embedding
    version = save_head(db, featurizer, head)
    scorer = scorer_for(db, "default")
    assert scorer.version == version

    # Score a small first batch (a rate within a second) and one full batch, then stop as a
    # cancel or a crash would: nothing is scored twice. Progress counts responses (274 pairs
    # and 40 items of six), so listwise batches give an even time left.
    first = score_project(db, scorer, batch_size=16)
    assert next(first) == (0, 788)
    assert next(first) == (8, 788)
    assert next(first) == (40, 788)
    first.close()
    assert count_unscored(db, version) == 314 - 20
    rest = list(score_project(db, scorer, batch_size=64))
    assert rest[0] == (0, 748)
    assert rest[-1] == (748, 748)
    assert count_unscored(db, version) == 0

    rows = db.conn.execute(
        "SELECT count(*), count(DISTINCT item_id), min(uncertainty) FROM scores "
        "WHERE model_version = ?",
        (version,),
    ).fetchone()
    assert rows[:2] == (274 * 2 + 40 * 6, 314)
    assert rows[2] > 0
    labels = db.conn.execute(
        "SELECT kind, confidence, model_version, annotator FROM labels WHERE source = 'model'"
    ).fetchall()
    assert len(labels) == 314
    assert {(k, v, a) for k, _, v, a in labels} == {
        ("pairwise", version, "prefmark-default"),
        ("ranking", version, "prefmark-default"),
    }
    assert all(0.5 <= c <= 1 for _, c, _, _ in labels)
    # The head learned "longer wins" from 150 labels: it agrees on most unlabelled pairs.
    agree = []
    for item in iter_items(db):
        if len(item.responses) == 2:
            rewards = [
                r[0]
                for r in db.conn.execute(
                    "SELECT reward FROM scores WHERE model_version = ? AND item_id = ? "
                    "ORDER BY response_idx",
                    (version, item.id),
                )
            ]
            a, b = (len(r.text) for r in item.responses)
            if a != b:
                agree.append((rewards[0] > rewards[1]) == (a > b))
    assert np.mean(agree) > 0.8


def test_cli_train_and_score(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    db = create_demo_project(project)
    _label_pairs(db, 40)
    runner = CliRunner()
    result = runner.invoke(main, ["train", str(project), "--heads", "2"])
    assert result.exit_code == 0, result.output
    assert "trained minilm-l6-int8-" in result.output  # int8 by default
    # The k-fold accuracy stands beside the project's own length baseline.
    assert "5-fold cross-validated accuracy" in result.output
    assert 'for "the longer response wins"' in result.output
    result = runner.invoke(main, ["score", str(project), "--model", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "missing" in result.output
    result = runner.invoke(main, ["score", str(project)])
    assert result.exit_code == 0, result.output
    assert "scored 314 items" in result.output
    result = runner.invoke(main, ["score", str(project)])  # again: nothing left, still works
    assert result.exit_code == 0, result.output
    assert "scored 0 items" in result.output
    assert len(demo_files()) == 2


def test_score_before_training_explains_what_to_do(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    create_demo_project(project)
    result = CliRunner().invoke(main, ["score", str(project)])
    assert result.exit_code == 1
    assert "has not been trained on this project yet" in result.output

"""The trained default model travels inside its project file: a copy on another machine (whose
data folder has never seen the project) scores with the same model version and the same
scores. Real project files, the real encoder and onnxruntime."""

from __future__ import annotations

import shutil
from collections.abc import Generator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labeler.demo import create_demo_project
from labeler.scoring import ItemScore
from labeler.store import iter_items, open_db, record_label
from labeler.store.reward_models import head_data
from labeler.training import train_head
from labeler.types import Item, Label, PairChoice, PairwiseValue, Source
from labeler.workflows.model_runs import model_work_left
from labeler.workflows.models import (
    DefaultFeaturizer,
    OnnxHead,
    default_trainer,
    load_trained_default,
    save_head,
    scorer_for,
)
from models.head import PreferenceHead
from models.paths import DATA_DIR_ENV


def _label_longer_wins(db: Any, n: int) -> list[Item]:
    """Label n two-response items (the longer response wins); returns them."""
    labelled: list[Item] = []
    for item in iter_items(db):
        if len(labelled) == n:
            break
        if len(item.responses) != 2:
            continue
        a, b = (len(r.text) for r in item.responses)
        if a == b:
            continue
        choice = PairChoice.A if a > b else PairChoice.B
        record_label(db, Label(item.id, PairwiseValue(choice), Source.HUMAN, "ann"))
        labelled.append(item)
    return labelled


def _train(db: Any) -> str:
    featurizer = DefaultFeaturizer()
    job: Generator[Any, None, Any] = train_head(db, featurizer, default_trainer(2))
    try:
        while True:
            next(job)
    except StopIteration as stop:
        return save_head(db, featurizer, stop.value)


def _head_version(db: Any) -> str:
    row = db.conn.execute(
        "SELECT json_extract(info, '$.head') FROM models WHERE kind = 'default-head'"
    )
    return str(row.fetchone()[0])


def _rewards(scores: Sequence[ItemScore]) -> list[np.ndarray]:
    """Each item's rewards, ensemble spread and member rewards side by side."""
    return [
        np.vstack([s.rewards, np.asarray(s.uncertainty), np.asarray(s.members)]).astype(np.float32)
        for s in scores
    ]


def test_copied_project_scores_alike_without_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop, other = tmp_path / "laptop", tmp_path / "other-laptop"
    monkeypatch.setenv(DATA_DIR_ENV, str(laptop / "data"))
    laptop.mkdir()
    db = create_demo_project(laptop / "project.db")
    labelled = _label_longer_wins(db, 40)
    version = _train(db)
    assert not (laptop / "data" / "heads").exists()  # nothing kept outside the project
    db.close()  # the last connection folds the WAL into the file: the file alone is the project
    other.mkdir()
    shutil.copy(laptop / "project.db", other / "project.db")

    # On the first laptop: score labelled items (features cached in the project by training)
    # and unlabelled ones (features computed here, never cached in the copy).
    db = open_db(laptop / "project.db", create=False)
    unlabelled = [i for i in iter_items(db) if i.id not in {x.id for x in labelled}][:20]
    scorer = scorer_for(db, "default")
    assert scorer.version == version
    cached, fresh = scorer.score_items(labelled), scorer.score_items(unlabelled)
    db.close()
    shutil.rmtree(laptop / "data")  # the other laptop has none of the first one's files

    (other / "data").mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(other / "data"))
    copy = open_db(other / "project.db", create=False)
    copied = scorer_for(copy, "default")
    assert copied.version == version
    for want, got in zip(_rewards(cached), _rewards(copied.score_items(labelled)), strict=True):
        np.testing.assert_array_equal(got, want)
    # Features computed afresh by an encoder rebuilt on this machine: equal to float precision.
    for want, got in zip(_rewards(fresh), _rewards(copied.score_items(unlabelled)), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert not (other / "data" / "heads").exists()
    (size,) = copy.conn.execute("SELECT length(data) FROM heads").fetchone()
    assert 0 < size < 100_000  # small: the project file stays light
    copy.close()


def test_project_trained_by_an_older_version_reads_its_head_file_and_keeps_a_copy(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project.db"
    db = create_demo_project(project)
    labelled = _label_longer_wins(db, 30)
    version = _train(db)
    # What an older version left: the head in a file of its data folder, the project naming it.
    head_version = _head_version(db)
    old_file = tmp_path / "old-data" / "heads" / f"{head_version}.npz"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(head_data(db, head_version) or b"")
    db.conn.execute("DELETE FROM heads")
    db.conn.execute("UPDATE models SET path = ?", (str(old_file),))
    want = _rewards(scorer_for(db, "default").score_items(labelled))
    db.conn.execute("DELETE FROM heads")
    db.close()

    readonly = open_db(project, readonly=True)
    assert scorer_for(readonly, "default").version == version  # read from the old file
    assert head_data(readonly, head_version) is None  # and a read-only open writes nothing
    readonly.close()

    db = open_db(project, create=False)
    assert scorer_for(db, "default").version == version
    assert head_data(db, head_version) == old_file.read_bytes()  # kept in the project now
    old_file.unlink()
    scorer = scorer_for(db, "default")
    assert scorer.version == version
    for expected, got in zip(want, _rewards(scorer.score_items(labelled)), strict=True):
        np.testing.assert_array_equal(got, expected)
    db.close()


def test_a_head_on_an_older_feature_layout_counts_as_untrained_until_retrained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo or project trained by an older prefmark on other features is retrained by the
    next train-and-score job instead of failing at every opening."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    db = create_demo_project(tmp_path / "project.db")
    _label_longer_wins(db, 30)
    _train(db)
    assert model_work_left(db)[0] is False
    old = PreferenceHead.from_bytes(head_data(db, _head_version(db)) or b"")
    stale = replace(old, meta={**old.meta, "features": "an-older-layout"})
    save_head(db, DefaultFeaturizer(), OnnxHead(stale))  # the latest model, as one was
    assert model_work_left(db) == (True, 0)
    assert load_trained_default(db) is None
    _train(db)
    untrained, unscored = model_work_left(db)
    assert not untrained
    assert unscored == db.conn.execute("SELECT sum(n_responses) FROM items").fetchone()[0]
    db.conn.close()

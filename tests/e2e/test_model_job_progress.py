"""The model jobs' progress moves evenly to its end: one total from the first step, counts
that only go up, and no stretch of work (the encoder on long responses) left uncounted."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from labeler.db import open_db
from labeler.demo import demo_files
from labeler.importers import import_files
from labeler.progress import Progress
from labeler.store import iter_items, record_label
from labeler.store.embeddings import unembedded_cost
from labeler.types import Label, PairChoice, PairwiseValue, Source
from labeler.workflows import model_runs
from labeler.workflows.models import DefaultFeaturizer

PAIRS, LISTS = 36, 3  # lines of each file: 22 pairs get labels, the rest and 3 long lists not


def _small_project(tmp_path: Path, pairs: int, lists: int, name: str = "p.db") -> Any:
    """A project of the demo's first ``pairs`` pairwise and ``lists`` six-response items."""
    files = []
    for source, n in zip(sorted(demo_files()), (lists, pairs), strict=True):
        part = tmp_path / f"{n}-{source.name}"
        part.write_text("".join(source.open(encoding="utf-8").readlines()[:n]), "utf-8")
        files.append(part)
    db = open_db(tmp_path / name)
    import_files(db, files, source_name="small")
    return db


def _label(db: Any, n: int) -> None:
    """The longer of two responses wins, on the first ``n`` pairs."""
    pairs = [item for item in iter_items(db) if len(item.responses) == 2][:n]
    for item in pairs:
        a, b = (len(r.text) for r in item.responses)
        choice = PairChoice.A if a >= b else PairChoice.B
        record_label(db, Label(item.id, PairwiseValue(choice), Source.HUMAN, "ann"))


def _steps(job: Any) -> tuple[list[Progress], Any]:
    seen: list[Progress] = []
    try:
        while True:
            seen.append(next(job))
    except StopIteration as stop:
        return seen, stop.value


def _even(seen: list[Progress], largest_share: float) -> None:
    """One total, counting up from 0 to it, in steps no larger than ``largest_share`` of it."""
    assert len({total for _, total in seen}) == 1
    total = seen[0][1]
    assert seen[0][0] == 0
    assert seen[-1][0] == total
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    assert max(b[0] - a[0] for a, b in itertools.pairwise(seen)) <= largest_share * total


def test_train_and_score_counts_every_part_evenly_then_train_and_score_alone(
    tmp_path: Path,
) -> None:
    db = _small_project(tmp_path, PAIRS, LISTS)
    _label(db, 22)
    featurizer = DefaultFeaturizer()
    job = model_runs.train_and_score(db)
    seen: list[Progress] = []
    left_when_scoring: list[int] = []
    try:
        while True:
            seen.append(next(job))
            scored = db.conn.execute("SELECT count(*) FROM scores").fetchone()[0]
            if scored:
                left_when_scoring.append(unembedded_cost(db, featurizer.version))
    except StopIteration as stop:
        report = stop.value
    items, responses = db.conn.execute("SELECT count(*), sum(n_responses) FROM items").fetchone()
    assert report.scored == items
    assert report.trained is not None  # the job's training result is kept in its report
    assert report.summary().splitlines()[0] == report.trained.summary()
    # the long six-response items count for their encoding, in steps of a few items each
    _even(seen, largest_share=0.25)
    assert len(seen) > 10
    # the encoder ran before the head scored: what takes time was counted while it ran, and
    # the scoring's own (short) part counts too, to the end
    assert left_when_scoring
    assert set(left_when_scoring) == {0}
    head_steps = model_runs.head_scoring_steps(responses)
    assert seen[-1][0] - seen[-len(left_when_scoring) - 1][0] <= head_steps

    # Training again (the encoder's cache holds every response): its fits alone, one by one.
    retrain, _ = _steps(model_runs.train(db))
    _even(retrain, largest_share=1 / retrain[0][1])

    # New items for the new model: the plain Score job embeds them in counted steps first.
    more = _small_project(tmp_path, PAIRS + 10, LISTS + 3, name="more.db")
    more.conn.close()
    import_files(
        db,
        sorted(tmp_path.glob(f"{PAIRS + 10}-*")) + sorted(tmp_path.glob(f"{LISTS + 3}-*")),
        source_name="more",
    )
    scoring, report = _steps(model_runs.score(db))
    assert report.scored == db.conn.execute("SELECT count(*) FROM items").fetchone()[0] - items
    _even(scoring, largest_share=0.5)
    assert len({done for done, _ in scoring}) >= 4

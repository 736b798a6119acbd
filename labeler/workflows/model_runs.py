"""Train the project's default reward model, and score every response with a model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TrainReport:
    """The saved model's version and its held-out check (None when too few labels)."""

    version: str
    holdout_accuracy: float | None
    holdout_pairs: int

    def summary(self) -> str:
        text = f"trained {self.version}"
        if self.holdout_pairs and self.holdout_accuracy is not None:
            text += (
                f"; held-out check: {self.holdout_accuracy:.1%} pairwise accuracy on "
                f"{self.holdout_pairs} pairs from a fifth of the labelled items the model was "
                "not trained on (the saved model uses them all)"
            )
        return text


def _busy_once_counted(job: Workflow[T]) -> Workflow[T]:
    """``job``'s progress, but "cannot count" (0, 0) once it reports all done: what follows
    (fitting the head) has no steps to count, and a full bar would say it had finished."""
    try:
        while True:
            done, total = next(job)
            yield (0, 0) if total and done >= total else (done, total)
    except StopIteration as stop:
        result: T = stop.value
        return result


def train(
    db: sqlite_utils.Database,
    *,
    heads: int = 8,
    seed: int = 0,
    int8: bool = False,
    threads: int | None = None,
    holdout: bool = True,
) -> Workflow[TrainReport]:
    """Fit the default model's head on the project's human labels and store it in the project.

    Embedding the labelled responses is what takes time; that is the progress reported.
    """
    from labeler.training import NotEnoughLabelsError, holdout_accuracy, train_head
    from labeler.workflows import models

    yield 0, 0  # loading the encoder takes seconds: a busy bar meanwhile
    options = models.runtime_options(threads)
    featurizer = models.DefaultFeaturizer(options, int8=int8)
    trainer = models.default_trainer(heads, seed, options)
    try:
        head = yield from _busy_once_counted(train_head(db, featurizer, trainer))
    except NotEnoughLabelsError as exc:
        raise WorkflowError(str(exc)) from exc
    version = models.save_head(db, featurizer, head)
    accuracy, n_test = (None, 0)
    if holdout:  # fitting again without a fifth of the items: busy, it cannot count
        accuracy, n_test = holdout_accuracy(
            db, featurizer, models.default_trainer(heads, seed, options)
        )
    return TrainReport(str(version), accuracy, n_test)


@dataclass(frozen=True, slots=True)
class ScoreReport:
    scored: int
    version: str

    def summary(self) -> str:
        return f"scored {self.scored:,} items with {self.version}"


def score(
    db: sqlite_utils.Database,
    *,
    model: str = "default",
    batch_size: int = 64,
    int8: bool = False,
    threads: int | None = None,
) -> Workflow[ScoreReport]:
    """Score every unscored item (rewards and a model label per item, committed per batch).

    ``model`` is ``default`` (the project's trained default model) or an ONNX model folder.
    Closing the workflow keeps the batches already committed; a later run resumes.
    """
    from labeler.scoring import score_project
    from labeler.workflows import models

    yield 0, 0  # loading the model takes seconds
    try:
        scorer = models.scorer_for(db, model, models.runtime_options(threads), int8=int8)
    except (LookupError, ValueError) as exc:
        raise WorkflowError(str(exc)) from exc
    try:
        scored = yield from score_project(db, scorer, batch_size=batch_size)
    except (ValueError, RuntimeError, MemoryError, OverflowError) as exc:
        # a model that fails only at run time: wrong output, NaN rewards, out of memory
        raise WorkflowError(
            f"scoring stopped: {_first_line(exc)} (batches already scored are kept)"
        ) from exc
    return ScoreReport(int(scored), str(scorer.version))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""Train the project's default reward model, and score every response with a model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.scoring import Scorer


@dataclass(frozen=True, slots=True)
class TrainReport:
    """The saved model's version and its k-fold check beside the length baseline (the
    accuracies are None when there were too few labels to cross-validate)."""

    version: str
    folds: int = 0
    accuracy: float | None = None
    length_only: float | None = None
    longer_wins: float | None = None
    length_chosen: bool = False

    def summary(self) -> str:
        """The check first (what a person reads before the line is cut), the version last."""
        if not self.folds or self.accuracy is None:
            return f"trained {self.version}"
        text = (
            f"{self.folds}-fold cross-validated accuracy {self.accuracy:.1%} "
            f"(on items it was not trained on), against {self.longer_wins or 0:.1%} "
            f'for "the longer response wins" and {self.length_only or 0:.1%} for '
            "response length alone"
        )
        if self.length_chosen:
            text += "; the embeddings added nothing to length here, so it uses length alone"
        return f"{text}; trained {self.version}"


def train(
    db: sqlite_utils.Database,
    *,
    heads: int = 8,
    seed: int = 0,
    int8: bool = True,
    threads: int | None = None,
    interactive: bool = False,
    embed_all: bool = False,
) -> Workflow[TrainReport]:
    """Fit the default model's head on the project's human labels and store it in the project.

    Progress counts the responses to embed and the head's fits, determinate to the end. The
    head's own cross-validation (which chose its setting, near last time's) gives the accuracy
    reported. ``interactive`` leaves a core free for a window that must stay responsive;
    ``embed_all`` embeds every response, not only the labelled ones (scoring follows).
    """
    from labeler.training import NotEnoughLabelsError, train_head
    from labeler.workflows import models

    options = models.runtime_options(threads, interactive=interactive)
    # The encoder loads with the first batch, so the bar is determinate from the start.
    featurizer = models.DefaultFeaturizer(options, int8=int8)
    trainer = models.default_trainer(heads, seed, options, near=models.previous_strength(db))
    try:
        head = yield from train_head(db, featurizer, trainer, embed_all=embed_all)
    except NotEnoughLabelsError as exc:
        raise WorkflowError(str(exc)) from exc
    version = models.save_head(db, featurizer, head)
    meta = models.head_meta(head)
    cv = meta.get("cv") or {}
    return TrainReport(
        str(version),
        folds=int(cv.get("folds", 0)),
        accuracy=cv.get("accuracy"),
        length_only=cv.get("length_only"),
        longer_wins=cv.get("longer_wins"),
        length_chosen=meta.get("model") == "length-only",
    )


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """Items scored with a model version; ``trained`` when the same job trained it first."""

    scored: int
    version: str
    trained: TrainReport | None = None

    def summary(self) -> str:
        text = f"scored {self.scored:,} items with {self.version}"
        return f"{self.trained.summary()}\n{text}" if self.trained else text


def score(
    db: sqlite_utils.Database,
    *,
    model: str = "default",
    batch_size: int = 64,
    int8: bool | None = None,
    threads: int | None = None,
    interactive: bool = False,
) -> Workflow[ScoreReport]:
    """Score every unscored item (rewards and a model label per item, committed per batch).

    ``model`` is ``default`` (the project's trained default model) or an ONNX model folder.
    The default model runs on the encoder it was trained on unless ``int8`` says otherwise.
    Closing the workflow keeps the batches already committed; a later run resumes. Progress
    is determinate from the first step: responses for a model folder; for the default model,
    the encoder's work on what its cache lacks, then the head's few steps.
    """
    from labeler.workflows import models

    try:
        options = models.runtime_options(threads, interactive=interactive)
        scorer = models.scorer_for(db, model, options, int8=int8)
    except (LookupError, ValueError) as exc:
        raise WorkflowError(str(exc)) from exc
    try:
        scored = yield from _score_steps(db, scorer, batch_size)
    except (ValueError, RuntimeError, MemoryError, OverflowError) as exc:
        # a model that fails only at run time: wrong output, NaN rewards, out of memory
        raise WorkflowError(
            f"scoring stopped: {_first_line(exc)} (batches already scored are kept)"
        ) from exc
    return ScoreReport(int(scored), str(scorer.version))


RESPONSES_PER_HEAD_STEP = 64
"""A trained head scores a cached response about a thousand times faster than the encoder
embeds it (measured on the demo), so one step per 64 responses keeps its share of the bar small
but moving."""


def head_scoring_steps(responses: int) -> int:
    """Steps a trained head's scoring of ``responses`` cached responses counts for."""
    return -(-responses // RESPONSES_PER_HEAD_STEP)


def _score_steps(db: sqlite_utils.Database, scorer: Scorer, batch_size: int) -> Workflow[int]:
    """``score_project``, preceded for a trained head by embedding what the cache lacks.

    The encoder is a head's whole cost, so its responses are embedded in small batches first
    (the count moves evenly) and the head's scoring after it counts for little, as it takes.
    """
    from labeler.scoring import HeadScorer, embed_project, score_project
    from labeler.store.scores import count_unscored_responses

    if not isinstance(scorer, HeadScorer):
        return (yield from score_project(db, scorer, batch_size=batch_size))
    steps = head_scoring_steps(count_unscored_responses(db, scorer.version))
    to_embed = 0
    for embedded, to_embed in embed_project(db, scorer.featurizer):
        yield embedded, to_embed + steps
    scoring = score_project(db, scorer, batch_size=batch_size)
    try:
        while True:
            done, total = next(scoring)
            yield to_embed + (done * steps // total if total else 0), to_embed + steps
    except StopIteration as stop:
        scored: int = stop.value
        return scored


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def model_work_left(db: sqlite_utils.Database) -> tuple[bool, int]:
    """(whether the default model still has to be trained, responses its model has not
    scored yet): what ``train_and_score`` would do."""
    from labeler.store.scores import count_unscored_responses
    from labeler.workflows.models import trained_default_head

    found = trained_default_head(db)
    if found is None:  # never trained, or by an older prefmark on other features
        return True, 0
    return False, count_unscored_responses(db, str(found[0]["version"]))


def train_and_score(
    db: sqlite_utils.Database, *, interactive: bool = False
) -> Workflow[ScoreReport]:
    """Train the default model if the project has none yet, then score what it has not
    scored: one job whose progress counts both parts from its first step, its total fixed.
    Training embeds every response (the encoder is nearly all the time), so the new head's
    scoring after it needs no encoder and counts its own few steps."""
    untrained, _ = model_work_left(db)
    offset = 0
    trained: TrainReport | None = None
    if untrained:
        responses = int(
            db.conn.execute("SELECT coalesce(sum(n_responses), 0) FROM items").fetchone()[0]
        )
        # training embeds every response, so scoring after it is the head's steps alone
        training = train(db, interactive=interactive, embed_all=True)
        try:
            while True:
                done, total = next(training)
                offset = total
                yield done, total + head_scoring_steps(responses)
        except StopIteration as stop:
            trained = stop.value
    scoring = score(db, interactive=interactive)
    try:
        while True:
            done, total = next(scoring)
            yield offset + done, offset + total
    except StopIteration as stop:
        report: ScoreReport = stop.value
        return replace(report, trained=trained)

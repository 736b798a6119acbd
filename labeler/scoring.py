"""Score a project with a reward model and turn rewards into model labels.

The core defines the small protocols a model must meet (``Scorer``, ``Featurizer``, ``Head``);
``models`` implements them and the composition roots (CLI, GUI) plug the two together. Every
job is a generator that yields ``(done, total)`` after each committed batch, so the CLI drives
it with a progress bar, the GUI from a worker thread, and an interrupted run resumes where it
stopped: only unscored items are ever scored.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from labeler.store.embeddings import (
    cached_rows,
    encoding_cost,
    unembedded_cost,
    unembedded_items,
    write_embeddings,
)
from labeler.store.reward_models import register_model
from labeler.store.scores import (
    ResponseScore,
    count_unscored_responses,
    unscored_items,
    write_scores_and_labels,
)
from labeler.types import Item, Label, PairChoice, PairwiseValue, RankingValue, Source

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlite_utils

Progress = Generator[tuple[int, int], None, int]


@dataclass(frozen=True, slots=True)
class ItemScore:
    """Rewards for one item's responses (stored order); ``members`` is [n_members, n_responses]."""

    rewards: np.ndarray
    uncertainty: np.ndarray | None = None
    members: np.ndarray | None = None


class Scorer(Protocol):
    """Anything that scores whole items: a generic ONNX reward model, or head + features."""

    @property
    def version(self) -> str: ...

    @property
    def name(self) -> str: ...

    def score_items(self, items: Sequence[Item]) -> list[ItemScore]: ...


class Featurizer(Protocol):
    """Embeds (prompt, response) pairs; ``extra`` holds cheap side features (lengths)."""

    @property
    def version(self) -> str: ...

    def features(
        self, prompts: Sequence[str], responses: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]: ...


class Head(Protocol):
    """A preference head over features: ensemble mean, spread and member rewards per row."""

    @property
    def version(self) -> str: ...

    def rewards(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def model_label(item: Item, score: ItemScore, annotator: str, version: str) -> Label:
    """The model's label for an item from its rewards.

    Two responses: P(A better) = sigmoid(r_a - r_b); the label is the likelier side and the
    confidence that probability. More responses: a full order by reward, with the weakest
    adjacent preference probability as the confidence (the order is only as sure as its least
    sure step).

    >>> from labeler.types import Response
    >>> item = Item("p", (Response("x"), Response("y")))
    >>> label = model_label(item, ItemScore(np.array([1.0, 0.0])), "rm", "rm-1")
    >>> label.value.choice.value, round(label.confidence, 3)
    ('a', 0.731)
    """
    r = np.asarray(score.rewards, dtype=np.float64)
    if len(r) == 2:
        p_a = sigmoid(float(r[0] - r[1]))
        value: PairwiseValue | RankingValue = PairwiseValue(
            PairChoice.A if p_a >= 0.5 else PairChoice.B
        )
        confidence = max(p_a, 1.0 - p_a)
    else:
        order = np.argsort(-r, kind="stable")
        ranks = np.empty(len(r), dtype=int)
        ranks[order] = np.arange(1, len(r) + 1)
        value = RankingValue(tuple(int(x) for x in ranks))
        steps = [sigmoid(float(r[order[i]] - r[order[i + 1]])) for i in range(len(r) - 1)]
        confidence = min(steps)
    return Label(
        item_id=item.id,
        value=value,
        source=Source.MODEL,
        annotator=annotator,
        model_version=version,
        confidence=round(confidence, 6),
    )


class ScoringError(ValueError):
    """A model's output cannot be stored: the message names the model and the item."""


def check_scores(name: str, items: Sequence[Item], results: Sequence[ItemScore]) -> None:
    """Refuse results that are not one finite reward per response of each item."""
    if len(results) != len(items):
        raise ScoringError(f"model {name} gave {len(results)} results for {len(items)} items")
    for item, result in zip(items, results, strict=True):
        rewards = np.asarray(result.rewards, dtype=np.float64)
        if rewards.shape != (len(item.responses),):
            raise ScoringError(
                f"model {name} gave rewards of shape {rewards.shape} for item {item.id}, "
                f"which has {len(item.responses)} responses"
            )
        if not np.isfinite(rewards).all():
            raise ScoringError(
                f"model {name} gave a non-finite reward ({rewards.tolist()}) for item {item.id}"
            )


def interruptible(fn: Callable[[], T]) -> T:
    """``fn()`` on a helper thread, waited for in short steps so that Ctrl+C (SIGINT) stops
    the caller at once even while a model's graph runs (or never ends) in native code."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="prefmark-score-batch", daemon=True).start()
    while not done.wait(0.1):
        pass
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def _batches(
    db: sqlite_utils.Database, version: str, batch_size: int, first_batch: int
) -> Iterator[list[Item]]:
    """Unscored items in batches, the first one small so a rate (and the time left) is known
    within a second; the rest are read after it is committed, so none is read twice."""
    if first_batch < batch_size:
        first = unscored_items(db, version, first_batch)
        chunk = next(iter(first), None)
        close = getattr(first, "close", None)
        if close is not None:
            close()
        if chunk is None:
            return
        yield chunk
    yield from unscored_items(db, version, batch_size)


def score_project(
    db: sqlite_utils.Database, scorer: Scorer, *, batch_size: int = 64, first_batch: int = 4
) -> Progress:
    """Score every item ``scorer.version`` has not scored; write rewards and model labels.

    Yields ``(done, total)`` in responses after each committed batch (a model's time grows
    with responses, so items of six responses and pairs give an even time left); returns the
    number of items scored. Stopping the generator (cancel, Ctrl+C, a crash) loses at most the
    batch in flight.
    """
    total = count_unscored_responses(db, scorer.version)
    done = 0
    scored = 0
    registered = False
    yield done, total
    for chunk in _batches(db, scorer.version, batch_size, first_batch):
        results = interruptible(partial(scorer.score_items, chunk))
        check_scores(scorer.name, chunk, results)
        if not registered:  # a model that fails before its first batch leaves no trace
            register_model(db, scorer.version, kind="reward", name=scorer.name)
            registered = True
        rows: list[ResponseScore] = []
        labels: list[Label] = []
        for item, result in zip(chunk, results, strict=True):
            for idx, reward in enumerate(result.rewards):
                rows.append(
                    ResponseScore(
                        item.id,
                        idx,
                        float(reward),
                        None if result.uncertainty is None else float(result.uncertainty[idx]),
                        None if result.members is None else result.members[:, idx],
                    )
                )
            labels.append(model_label(item, result, scorer.name, scorer.version))
        write_scores_and_labels(db, scorer.version, rows, labels)
        done += len(rows)
        scored += len(chunk)
        yield done, total
    return scored


def pair_texts(items: Sequence[Item]) -> tuple[list[tuple[str, int]], list[str], list[str]]:
    """Every response of ``items`` as (key, prompt text, response text), in item order."""
    keys: list[tuple[str, int]] = []
    prompts: list[str] = []
    responses: list[str] = []
    for item in items:
        for idx, response in enumerate(item.responses):
            keys.append((item.id, idx))
            prompts.append(item.prompt_text)
            responses.append(response.text)
    return keys, prompts, responses


def _by_responses(items: Sequence[Item], responses: int) -> Iterator[list[Item]]:
    """``items`` in runs of about ``responses`` responses (whole items, at least one)."""
    run: list[Item] = []
    count = 0
    for item in items:
        run.append(item)
        count += len(item.responses)
        if count >= responses:
            yield run
            run, count = [], 0
    if run:
        yield run


def embed_project(
    db: sqlite_utils.Database, featurizer: Featurizer, *, batch_size: int = 12
) -> Progress:
    """Cache features of every response not yet embedded by ``featurizer`` (resumable).

    Counts the encoder's work (``ENCODING_COST``: long responses weigh more) in batches of
    about ``batch_size`` responses, so progress moves every second or so at an even rate;
    returns the number of responses embedded.
    """
    total = unembedded_cost(db, featurizer.version)
    done = 0
    embedded = 0
    yield done, total
    for chunk in unembedded_items(db, featurizer.version):
        for run in _by_responses(chunk, batch_size):
            keys, prompts, responses = pair_texts(run)
            vectors, extra = featurizer.features(prompts, responses)
            write_embeddings(db, featurizer.version, keys, vectors, extra)
            embedded += len(keys)
            done += encoding_cost(db, [item.id for item in run])
            yield min(done, total), total
    return embedded


def embed_missing(
    db: sqlite_utils.Database,
    featurizer: Featurizer,
    keys: list[tuple[str, int]],
    prompts: list[str],
    responses: list[str],
    *,
    batch_size: int,
    first_batch: int | None = None,
) -> Generator[tuple[int, int], None, np.ndarray]:
    """Features of every (prompt, response) in key order: cached rows as they are, the rest
    computed and cached in batches (a smaller ``first_batch`` gives a rate at once). Yields
    (embedded, to embed) from the first step; returns the feature rows."""
    feats, found = cached_rows(db, featurizer.version, keys)
    missing = np.flatnonzero(~found)
    yield 0, len(missing)
    start = 0
    size = min(first_batch or batch_size, batch_size)
    while start < len(missing) or feats is None:
        part = missing[start : start + size]
        vectors, extra = featurizer.features(
            [prompts[i] for i in part], [responses[i] for i in part]
        )
        write_embeddings(db, featurizer.version, [keys[i] for i in part], vectors, extra)
        rows = np.hstack([vectors, extra]).astype(np.float32)
        if feats is None:
            feats = np.empty((len(keys), rows.shape[1]), np.float32)
        feats[part] = rows
        start += len(part)
        size = batch_size
        yield start, len(missing)
    return feats


def item_features(
    db: sqlite_utils.Database, featurizer: Featurizer, items: Sequence[Item]
) -> tuple[list[tuple[str, int]], np.ndarray]:
    """Features of every response of ``items`` (rows in key order), from the cache when there.

    Only the responses the cache lacks are computed (and cached), in one batch, so each
    response is embedded once per encoder.
    """
    keys, prompts, responses = pair_texts(items)
    job = embed_missing(db, featurizer, keys, prompts, responses, batch_size=max(1, len(keys)))
    try:
        while True:
            next(job)
    except StopIteration as stop:
        feats: np.ndarray = stop.value
    return keys, feats


class HeadScorer:
    """A ``Scorer`` from a featurizer and a trained head, reading features from the cache.

    Features missing from the cache are computed and cached on the way, so scoring after a
    retrain costs only the head (milliseconds), not the encoder.
    """

    def __init__(
        self, db: sqlite_utils.Database, featurizer: Featurizer, head: Head, name: str
    ) -> None:
        self.db, self.featurizer, self.head, self._name = db, featurizer, head, name

    @property
    def version(self) -> str:
        return f"{self.featurizer.version}+{self.head.version}"

    @property
    def name(self) -> str:
        return self._name

    def score_items(self, items: Sequence[Item]) -> list[ItemScore]:
        _, feats = item_features(self.db, self.featurizer, items)
        mean, spread, members = self.head.rewards(feats)
        out: list[ItemScore] = []
        start = 0
        for item in items:
            end = start + len(item.responses)
            out.append(ItemScore(mean[start:end], spread[start:end], members[start:end].T))
            start = end
        return out

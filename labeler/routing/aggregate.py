"""One AI label from several AI sources: the Dawid-Skene consensus of judges and orders.

Where a project has several judges (or one judge in both presentation orders), the verdict
most likely right given every source's estimated confusion can beat each source alone. The
consensus is fitted without people's labels (``labeler.dawid_skene`` over the AI sources'
decisive verdicts), so its agreement with people is an honest check, and it becomes one more
AI source that routing's automatic choice takes only when it agrees with people best (in a
simulation: on the held-out items). A model trained on the project's own labels is left out:
its verdicts on those labels are flattered, and the simulation re-scores it out-of-fold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

import numpy as np

from labeler import dawid_skene
from labeler.store.routes import RoutingArrays
from labeler.types import Label, PairChoice, PairwiseValue, Source

CONSENSUS = "ai-consensus"
NO_OPINION = -2


def consensus(
    opinions: Mapping[str, np.ndarray], exclude: Collection[str] = ()
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """(choice codes, P(B), the sources used) of the Dawid-Skene consensus, or None with
    fewer than two sources to combine.

    Codes as in ``store.routes``: 0 / 1 the verdict, -1 an even split, -2 no decisive verdict
    from any source. Ties and unparseable verdicts carry no vote.
    """
    keys = tuple(
        k for k in opinions if k != CONSENSUS and k.removesuffix("@swapped") not in exclude
    )
    if len(keys) < 2:
        return None
    n = len(opinions[keys[0]])
    items, workers, answers = [], [], []
    for w, key in enumerate(keys):
        codes = np.asarray(opinions[key])
        idx = np.flatnonzero(codes >= 0)
        items.append(idx)
        workers.append(np.full(len(idx), w))
        answers.append(codes[idx])
    it = np.concatenate(items)
    _, post = dawid_skene.fit(
        it,
        np.concatenate(workers),
        np.concatenate(answers),
        annotators=keys,
        n_items=n,
        n_classes=2,
    )
    voted = np.bincount(it, minlength=n) > 0
    p_b = np.where(voted, post[:, 1], np.nan)
    codes = np.where(p_b > 0.5, 1, np.where(p_b < 0.5, 0, -1))
    return np.where(voted, codes, NO_OPINION).astype(np.int8), p_b, keys


def with_consensus(arrays: RoutingArrays, exclude: Collection[str] = ()) -> RoutingArrays:
    """``arrays`` with the consensus as one more AI source (replacing a stored one), if
    there are at least two sources to combine."""
    fitted = consensus(arrays.opinions, exclude)
    if fitted is None:
        return arrays
    codes, p_b, _ = fitted
    return replace(
        arrays,
        opinions={**arrays.opinions, CONSENSUS: codes},
        confidence={**arrays.confidence, CONSENSUS: p_b},
    )


def consensus_labels(
    item_ids: list[str], prob_b: np.ndarray, sources: tuple[str, ...]
) -> list[Label]:
    """The consensus verdicts as model labels (confidence: the posterior of the verdict), so
    that an accepted consensus counts like any AI source's label."""
    version = "dawid-skene of " + ", ".join(sources)
    return [
        Label(
            item_id=item_id,
            value=PairwiseValue(PairChoice.B if p > 0.5 else PairChoice.A),
            source=Source.MODEL,
            annotator=CONSENSUS,
            model_version=version,
            confidence=float(max(p, 1.0 - p)),
        )
        for item_id, p in zip(item_ids, prob_b, strict=True)
    ]

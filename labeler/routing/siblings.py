"""Sibling pairs: items that compare the same responses of one prompt.

Projects often compare several responses per prompt pairwise (every pair among k models), so
one response appears in many items. Verdicts on those sibling items imply a verdict on this
one (if A beat C and C beat B, A probably beats B): an AI label against what its own sibling
verdicts imply is an intransitive, likely wrong label, and one against what people said about
the siblings is likelier still to be wrong. Net wins (wins minus losses, a Borda count) of
each response over the other items stand in for a Bradley-Terry fit: they need one pass over
the items and never count the item's own verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labeler.routing.base import NO_LABEL


def response_ids(
    prompts: Sequence[str], responses_a: Sequence[str], responses_b: Sequence[str]
) -> np.ndarray:
    """[n, 2] ids of each item's two responses; one id per distinct (prompt, response text).

    >>> response_ids(["p", "p", "q"], ["x", "y", "x"], ["y", "z", "y"]).tolist()
    [[0, 1], [1, 2], [3, 4]]
    """
    seen: dict[tuple[str, str], int] = {}
    out = np.empty((len(prompts), 2), dtype=np.int64)
    for i, (p, a, b) in enumerate(zip(prompts, responses_a, responses_b, strict=True)):
        out[i, 0] = seen.setdefault((p, a), len(seen))
        out[i, 1] = seen.setdefault((p, b), len(seen))
    return out


def implied_preference(pairs: np.ndarray, prob_b: np.ndarray) -> np.ndarray:
    """Per item, net wins of response B minus those of response A over the *other* items.

    ``prob_b`` is each item's verdict as P(B) (1 / 0, 0.5 a tie, NaN none). Positive: the
    siblings say B is the better response; 0: they say nothing (no siblings, or a split).

    >>> pairs = np.array([[0, 1], [1, 2], [0, 2]])  # x-y, y-z, x-z
    >>> implied_preference(pairs, np.array([0.0, 0.0, np.nan])).tolist()  # x>y, y>z: x>z
    [1.0, 1.0, -2.0]
    """
    pairs = np.asarray(pairs, dtype=np.int64)
    vote = 2.0 * np.nan_to_num(np.asarray(prob_b, dtype=np.float64), nan=0.5) - 1.0
    if len(pairs) == 0:
        return np.zeros(0)
    net = np.zeros(int(pairs.max()) + 1)
    np.add.at(net, pairs[:, 1], vote)
    np.add.at(net, pairs[:, 0], -vote)
    # Leave the item's own verdict out: it moved B by +vote and A by -vote.
    out: np.ndarray = (net[pairs[:, 1]] - vote) - (net[pairs[:, 0]] + vote)
    return out


def against_siblings(ai_label: np.ndarray, implied: np.ndarray) -> np.ndarray:
    """How strongly the sibling verdicts contradict ``ai_label``, in (-1, 1).

    Positive where they imply the other response, negative where they back the label, 0
    where they are silent or there is no AI label.
    """
    side = np.where(ai_label == 1, 1.0, np.where(ai_label == 0, -1.0, 0.0))
    out: np.ndarray = -side * np.tanh(np.asarray(implied, dtype=np.float64))
    return out


def labels_as_prob(labels: np.ndarray) -> np.ndarray:
    """Label codes (0 / 1, -1 none) as P(B), NaN where there is no label."""
    labels = np.asarray(labels)
    return np.where(labels == NO_LABEL, np.nan, (labels == 1).astype(np.float64))

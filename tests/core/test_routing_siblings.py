"""Sibling items (the same responses compared in several pairs): verdicts on the siblings
imply a verdict on the item, and ``learned`` sends AI labels that contradict them first."""

from __future__ import annotations

import numpy as np

from labeler.routing import RoutingInput, make_strategy
from labeler.routing.features import routing_features
from labeler.routing.learned import PEOPLE_SIBLINGS, LearnedStrategy
from labeler.routing.siblings import (
    against_siblings,
    implied_preference,
    labels_as_prob,
    response_ids,
)


def test_response_ids_are_per_prompt_and_text() -> None:
    ids = response_ids(["p", "p", "q", "p"], ["x", "y", "x", "x"], ["y", "z", "y", "z"])
    # "x" under prompt q is another response than "x" under prompt p.
    assert ids.tolist() == [[0, 1], [1, 2], [3, 4], [0, 2]]


def test_implied_preference_leaves_the_item_out_and_follows_transitivity() -> None:
    # Responses x, y, z of one prompt; items x-y, y-z, x-z, and x-y again.
    pairs = np.array([[0, 1], [1, 2], [0, 2], [0, 1]])
    # x beat y twice, y beat z; nobody judged x-z.
    prob_b = np.array([0.0, 0.0, np.nan, 0.0])
    implied = implied_preference(pairs, prob_b)
    # x-z: net wins x = +2, z = -1 without this item: z minus x = -3, so x is implied.
    assert implied[2] == -3.0
    # An item's own verdict never counts: x-y is implied by the other x-y verdict and y-z.
    # Without item 0: x = +1, y = -1 + 1 = 0, so B (y) minus A (x) = -1.
    assert implied[0] == -1.0
    # Changing an item's own verdict leaves its implied value unchanged.
    flipped = prob_b.copy()
    flipped[0] = 1.0
    assert implied_preference(pairs, flipped)[0] == implied[0]
    # Ties and missing verdicts say nothing.
    assert implied_preference(pairs, np.array([0.5, np.nan, np.nan, 0.5])).tolist() == [0.0] * 4


def test_against_siblings_signs() -> None:
    implied = np.array([-3.0, -3.0, 0.0, 2.0])
    ai = np.array([1, 0, 1, -1], dtype=np.int8)
    out = against_siblings(ai, implied)
    assert out[0] > 0.99  # the AI picked B, siblings strongly imply A
    assert out[1] < -0.99  # the siblings back the AI label
    assert out[2] == 0.0  # silent siblings
    assert out[3] == 0.0  # no AI label
    assert labels_as_prob(np.array([0, 1, -1], dtype=np.int8)).tolist()[:2] == [0.0, 1.0]


def round_robin(n_prompts: int, seed: int) -> tuple[RoutingInput, np.ndarray, np.ndarray]:
    """Four responses per prompt, every pair compared (6 items a prompt). The truth follows a
    per-prompt quality order; the AI is right 85% of the time, so some of its labels break
    transitivity. Returns the input, the truth and the AI's errors."""
    rng = np.random.default_rng(seed)
    prompts, a, b, truth = [], [], [], []
    for p in range(n_prompts):
        quality = rng.permutation(4)
        for i in range(4):
            for j in range(i + 1, 4):
                prompts.append(f"prompt {p}")
                a.append(f"answer {i}")
                b.append(f"answer {j}")
                truth.append(int(quality[j] > quality[i]))
    y = np.array(truth, dtype=np.int8)
    wrong = rng.random(len(y)) < 0.15
    ai = np.where(wrong, 1 - y, y).astype(np.int8)
    base = RoutingInput(ai_label=ai, response_pairs=response_ids(prompts, a, b))
    features, names = routing_features(base)
    inp = RoutingInput(**{**base.__dict__, "features": features, "feature_names": names})
    return inp, y, wrong


def test_learned_sends_intransitive_ai_labels_first_before_any_label() -> None:
    inp, _, wrong = round_robin(100, seed=0)
    k = round(0.15 * inp.n)
    decision = make_strategy("learned").decide(inp, k, np.random.default_rng(0))
    caught = wrong[decision.human_order].mean()
    # The AI's own sibling verdicts expose its errors: twice the share a random pick finds.
    assert caught > 2 * wrong.mean(), caught


def test_people_siblings_never_hold_the_item_own_label() -> None:
    inp, truth, _ = round_robin(30, seed=1)
    known = np.zeros(inp.n, dtype=bool)
    known[::3] = True
    labels = np.where(known, truth, -1).astype(np.int8)
    x, names = LearnedStrategy.design(inp.with_human(labels, ~known))
    col = x[:, names.index(PEOPLE_SIBLINGS)]
    # The error model trains on labelled items: their own label must not be in their
    # feature, or it would learn from the answer. Flipping one label leaves its value.
    flipped = labels.copy()
    flipped[0] = 1 - flipped[0]
    x2, _ = LearnedStrategy.design(inp.with_human(flipped, ~known))
    assert x2[0, names.index(PEOPLE_SIBLINGS)] == col[0]
    # Where people's sibling verdicts speak, they point against the wrong AI labels.
    speaks = col != 0
    ai_wrong = inp.ai_label != truth
    assert col[speaks & ai_wrong].mean() > col[speaks & ~ai_wrong].mean()

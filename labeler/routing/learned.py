"""``learned``: a classifier of "the AI label is wrong", trained on the human labels so far.

Every item a human labels that also has an AI label is a training example (target: the two
disagree). The classifier is refit at every call, so as humans work through the queue it
reorders the rest (active learning). Until there are enough examples of both outcomes it
routes like ``ensemble``, whose disagreement signal needs no training.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labeler.routing.base import Budget, RoutingDecision, RoutingInput, decide_by_score
from labeler.routing.logistic import LogisticModel, fit_logistic
from labeler.routing.simple import ensemble_score


class LearnedStrategy:
    """Logistic regression P(AI wrong | features), with ``ensemble`` as the cold start."""

    name: ClassVar[str] = "learned"
    nested: ClassVar[bool] = True

    def __init__(self, min_train: int = 40, min_class: int = 8, l2: float = 3.0) -> None:
        self.min_train = min_train
        self.min_class = min_class
        self.l2 = l2

    @staticmethod
    def design(inp: RoutingInput) -> np.ndarray:
        """The item features plus the ``ensemble`` score, so the classifier starts from it."""
        assert inp.features is not None
        return np.column_stack([inp.features, ensemble_score(inp)])

    def fit(self, inp: RoutingInput, design: np.ndarray | None = None) -> LogisticModel | None:
        """The classifier for the human labels known in ``inp``, or None if too few."""
        if inp.features is None:
            return None
        both = inp.known_human & (inp.ai_label >= 0)
        if both.sum() < self.min_train:
            return None
        assert inp.human_label is not None
        wrong = (inp.ai_label[both] != inp.human_label[both]).astype(np.float64)
        if min(wrong.sum(), len(wrong) - wrong.sum()) < self.min_class:
            return None
        x = self.design(inp) if design is None else design
        return fit_logistic(x[both], wrong, l2=self.l2)

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        design = None if inp.features is None else self.design(inp)
        model = self.fit(inp, design)
        if model is None or design is None:
            return decide_by_score(
                inp, ensemble_score(inp), budget, rng, self.name, {"fallback": "ensemble"}
            )
        score = model.predict(design)
        return decide_by_score(inp, score, budget, rng, self.name, {"fallback": ""})

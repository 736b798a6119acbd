"""``learned``: a Bayesian model of "the AI label is wrong", useful from the first label.

The prior says what is known before this project's first label: the AI is more often wrong
where it contradicts its own swapped-order run, where other judges or the local model
disagree with it, where its margin is thin (the ``ensemble`` score sums these) and where its
label breaks transitivity with its own verdicts on sibling items (``routing.siblings``).
Length has no prior weight: whether the AI picking the longer answer is a mistake depends on
the data (people favour longer answers on some sets more than judges do), so the labels
decide. Features the prior says nothing about, such as what people said about an item's
siblings, start at zero and are learnt. Every item a person labels that also has an AI
label is evidence (target: the two disagree); the posterior is the MAP of a logistic
regression whose Gaussian prior is centred on those known weights, refit at every call. With
no labels it ranks like the prior; as labels arrive the project's own error pattern takes
over smoothly, with no switch at some label count. The prior is firm (precision 8 per
standardised weight) because the labels it learns from are the items it picked, not a
random sample, and there are about twenty features to a few hundred labels.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labeler.routing.base import Budget, RoutingDecision, RoutingInput, decide_by_score
from labeler.routing.explore import explore_decision
from labeler.routing.logistic import LogisticModel, fit_logistic, prior_covariance
from labeler.routing.siblings import against_siblings, implied_preference, labels_as_prob
from labeler.routing.simple import TIER, ensemble_score, self_contradiction

ENSEMBLE = "ensemble_score"
PEOPLE_SIBLINGS = "people_against_siblings"
# Prior weights, in standard deviations of each signal over the project's items.
PRIOR_WEIGHTS = {ENSEMBLE: 1.0, "self_contradiction": 0.5, "ai_against_siblings": 0.3}


class LearnedStrategy:
    """Logistic regression P(AI wrong | features) with an informative Gaussian prior."""

    name: ClassVar[str] = "learned"
    nested: ClassVar[bool] = True

    def __init__(self, l2: float = 8.0, explore: str = "") -> None:
        """``explore`` names a rule from ``routing.explore`` ("" ranks greedily by the
        posterior's error probability)."""
        self.l2 = l2
        self.explore = explore

    @staticmethod
    def design(inp: RoutingInput) -> tuple[np.ndarray, tuple[str, ...]]:
        """The item features plus the ``ensemble`` score, and the columns' names."""
        assert inp.features is not None
        x = np.column_stack([inp.features, ensemble_score(inp)])
        names: tuple[str, ...] = (*inp.feature_names, ENSEMBLE)
        if inp.response_pairs is not None:
            assert inp.human_label is not None
            implied = implied_preference(inp.response_pairs, labels_as_prob(inp.human_label))
            x = np.column_stack([x, against_siblings(inp.ai_label, implied)])
            names = (*names, PEOPLE_SIBLINGS)
        return x, names

    def prior(self, x: np.ndarray, names: tuple[str, ...]) -> LogisticModel:
        """The model before any label: known weights on standardised signals."""
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale < 1e-12] = 1.0
        weights = np.array([PRIOR_WEIGHTS.get(n, 0.0) for n in names])
        return LogisticModel(mean, scale, weights, 0.0, prior_covariance(len(names), self.l2))

    def fit(self, inp: RoutingInput) -> LogisticModel | None:
        """The posterior for the human labels known in ``inp`` (None without features)."""
        if inp.features is None:
            return None
        x, names = self.design(inp)
        prior = self.prior(x, names)
        both = inp.known_human & (inp.ai_label >= 0)
        if not both.any():
            return prior
        assert inp.human_label is not None
        wrong = (inp.ai_label[both] != inp.human_label[both]).astype(np.float64)
        return fit_logistic(
            x[both], wrong, l2=self.l2, prior_mean=prior.weights, center=(prior.mean, prior.scale)
        )

    def error_probability(self, inp: RoutingInput) -> np.ndarray | None:
        """P(the AI label is wrong) per item (1 where there is no AI label to accept), from
        the posterior; None without features. What a budget in hours weighs against time."""
        model = self.fit(inp)
        if model is None:
            return None
        p = model.predict(self.design(inp)[0])
        p[inp.ai_label < 0] = 1.0
        return p

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        model = self.fit(inp)
        if model is None:
            return decide_by_score(
                inp, ensemble_score(inp), budget, rng, self.name, {"fallback": "ensemble"}
            )
        # A judge contradicting its own swapped run goes to people first, whatever the model
        # says: it is the strongest known error signal, so it forms its own tier.
        x = self.design(inp)[0]
        tier = TIER * self_contradiction(inp)
        if self.explore:
            z = explore_decision(self.explore, model, x, tier, inp.eligible_mask, rng)
        else:
            z = model.decision(x)
        score = tier + np.tanh(z)
        return decide_by_score(inp, score, budget, rng, self.name, {"fallback": ""})

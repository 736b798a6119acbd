"""Hybrid routing: send each item to a human or accept its AI label, under a human budget.

Strategies share one interface (``base.Strategy``); ``make_strategy`` builds one by name.
"""

from __future__ import annotations

from collections.abc import Callable

from labeler.routing.base import (
    HUMAN,
    MODEL,
    REVIEW,
    Budget,
    RoutingDecision,
    RoutingInput,
    Strategy,
    resolve_budget,
    with_audit,
)
from labeler.routing.hyper import HyperStrategy
from labeler.routing.learned import LearnedStrategy
from labeler.routing.logistic import HeadTrainer, logistic_head
from labeler.routing.report import routing_summary
from labeler.routing.simple import EnsembleStrategy, MarginStrategy, RandomStrategy

STRATEGY_NAMES = ("random", "margin", "ensemble", "learned", "hyper")


def make_strategy(name: str, train_head: HeadTrainer | None = None) -> Strategy:
    """A fresh strategy by name; ``train_head`` is the reward-model head ``hyper`` trains."""
    factories: dict[str, Callable[[], Strategy]] = {
        "random": RandomStrategy,
        "margin": MarginStrategy,
        "ensemble": EnsembleStrategy,
        "learned": LearnedStrategy,
        "hyper": lambda: HyperStrategy(train_head),
    }
    if name not in factories:
        raise ValueError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGY_NAMES)}")
    return factories[name]()


__all__ = [
    "HUMAN",
    "MODEL",
    "REVIEW",
    "STRATEGY_NAMES",
    "Budget",
    "HeadTrainer",
    "RoutingDecision",
    "RoutingInput",
    "Strategy",
    "logistic_head",
    "make_strategy",
    "resolve_budget",
    "routing_summary",
    "with_audit",
]

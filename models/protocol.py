"""The one interface every reward model implements, and the runtime options they share."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

ChatMessages = Sequence[Mapping[str, str]]
Prompt = str | ChatMessages

# Accelerated providers in order of preference; CPU is always the last resort.
PREFERRED_PROVIDERS = (
    "CUDAExecutionProvider",
    "CoreMLExecutionProvider",
    "DmlExecutionProvider",
)


@dataclass(frozen=True)
class ScoreRequest:
    """One prompt (plain text or chat messages with ``role``/``content``) and its responses."""

    prompt: Prompt
    responses: Sequence[str]


@dataclass(frozen=True)
class ScoreResult:
    """Rewards for the responses of one request, in request order.

    ``uncertainty`` is a per-response standard deviation where the model has one (an ensemble),
    else None. ``member_rewards`` ([n_members, n_responses]) lets a caller compute the spread of a
    reward *difference*, which is tighter than the two per-response spreads suggest.
    """

    rewards: np.ndarray
    uncertainty: np.ndarray | None = None
    member_rewards: np.ndarray | None = None


@runtime_checkable
class RewardModel(Protocol):
    """Scores responses to prompts; ``version`` names the exact model (includes a content hash)."""

    @property
    def version(self) -> str: ...

    def score_batch(self, requests: Sequence[ScoreRequest]) -> list[ScoreResult]: ...


def default_intra_op_threads() -> int:
    """Leave one core free so the GUI stays responsive while scoring runs in the background."""
    return max(1, (os.cpu_count() or 1) - 1)


def default_providers() -> list[str]:
    """Accelerated providers that this onnxruntime build has, then the CPU provider."""
    import onnxruntime as ort  # imported here so the protocol stays importable without it

    available = set(ort.get_available_providers())
    return [p for p in PREFERRED_PROVIDERS if p in available] + ["CPUExecutionProvider"]


@dataclass
class RuntimeOptions:
    """How onnxruntime sessions run: thread count and execution providers, set explicitly."""

    intra_op_threads: int | None = field(default_factory=default_intra_op_threads)
    providers: list[str] = field(default_factory=default_providers)

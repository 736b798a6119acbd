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


def default_intra_op_threads(*, keep_one_free: bool = False) -> int:
    """Every core for a headless command; ``keep_one_free`` where a GUI must stay responsive
    while the model runs in the background (the app)."""
    cores = os.cpu_count() or 1
    return max(1, cores - 1) if keep_one_free else cores


def select_providers(available: Sequence[str]) -> list[str]:
    """The accelerated providers among ``available``, in order of preference, then the CPU.

    ``onnxruntime-gpu`` (the ``gpu`` extra) lists ``CUDAExecutionProvider``; a session falls
    back to the next provider when the device is missing, so the list is safe everywhere.
    """
    have = set(available)
    return [p for p in PREFERRED_PROVIDERS if p in have] + ["CPUExecutionProvider"]


def default_providers() -> list[str]:
    """``select_providers`` over what this onnxruntime build has."""
    import onnxruntime as ort  # imported here so the protocol stays importable without it

    return select_providers(ort.get_available_providers())


@dataclass
class RuntimeOptions:
    """How onnxruntime sessions run: thread count and execution providers, set explicitly."""

    intra_op_threads: int | None = field(default_factory=default_intra_op_threads)
    providers: list[str] = field(default_factory=default_providers)

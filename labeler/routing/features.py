"""Per-item numbers and tags that predict where an AI label goes wrong.

Two consumers: ``learned`` takes a dense feature matrix (``routing_features``), ``hyper`` takes
binary tags (``item_tags``). Everything derives from the texts, the response embeddings and
the AI opinions, all of which are known before any human looks at the item.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labeler.routing.base import RoutingInput
from labeler.routing.siblings import against_siblings, implied_preference
from labeler.routing.simple import (
    disagreement,
    member_spread,
    self_contradiction,
    uncertainty_from_margin,
)

_WORD = re.compile(r"\w+", re.UNICODE)
_CODE = re.compile(r"```|\bdef |\bclass |\breturn\b|;\s*$|\{\s*$|</?\w+>", re.MULTILINE)
_MATH = re.compile(r"\d\s*[-+*/^=]\s*\d|\\frac|\\sum|\bequation\b|\bsolve\b", re.IGNORECASE)


@dataclass(frozen=True)
class TextStats:
    """Cheap text statistics for n items (two responses each)."""

    len_a: np.ndarray
    len_b: np.ndarray
    prompt_len: np.ndarray
    overlap: np.ndarray
    has_code: np.ndarray
    has_math: np.ndarray
    multi_turn: np.ndarray


def unigram_f1(a: str, b: str) -> float:
    """ROUGE-1 F1 between two texts (bag of lower-cased words): how much the responses overlap."""
    ca, cb = Counter(_WORD.findall(a.lower())), Counter(_WORD.findall(b.lower()))
    na, nb = sum(ca.values()), sum(cb.values())
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    common = sum((ca & cb).values())
    return 2.0 * common / (na + nb)


def text_stats(
    prompts: Sequence[str],
    responses_a: Sequence[str],
    responses_b: Sequence[str],
    turns: Sequence[int] | None = None,
) -> TextStats:
    """Lengths in characters, response overlap and content flags for each item."""
    n = len(prompts)
    both = [f"{p}\n{a}\n{b}" for p, a, b in zip(prompts, responses_a, responses_b, strict=True)]
    return TextStats(
        len_a=np.array([len(a) for a in responses_a], dtype=np.float64),
        len_b=np.array([len(b) for b in responses_b], dtype=np.float64),
        prompt_len=np.array([len(p) for p in prompts], dtype=np.float64),
        overlap=np.array(
            [unigram_f1(a, b) for a, b in zip(responses_a, responses_b, strict=True)]
        ),
        has_code=np.array([bool(_CODE.search(t)) for t in both]),
        has_math=np.array([bool(_MATH.search(t)) for t in both]),
        multi_turn=np.zeros(n, dtype=bool) if turns is None else np.asarray(turns) > 1,
    )


def response_cosine(emb_a: np.ndarray, emb_b: np.ndarray) -> np.ndarray:
    """Cosine between the two responses' embeddings (near 1: the responses say the same)."""
    na = np.linalg.norm(emb_a, axis=1)
    nb = np.linalg.norm(emb_b, axis=1)
    cos: np.ndarray = np.einsum("ij,ij->i", emb_a, emb_b) / np.maximum(na * nb, 1e-12)
    return cos


def routing_features(
    inp: RoutingInput, stats: TextStats | None = None, cosine: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The dense features of ``learned``: AI uncertainty signals plus length and overlap.

    Length matters because judges and reward models both favour the longer answer; whether the
    AI label picked the longer one, and by how much, predicts its mistakes (DESIGN.md).
    """
    cols: dict[str, np.ndarray] = {
        "margin_uncertainty": uncertainty_from_margin(inp),
        "member_spread": member_spread(inp),
        "disagreement": disagreement(inp),
        "self_contradiction": self_contradiction(inp),
        "no_ai_label": (inp.ai_label < 0).astype(np.float64),
    }
    if inp.judge_probs is not None:
        y = inp.ai_label.astype(np.float64)
        for j in range(inp.judge_probs.shape[1]):
            col = np.asarray(inp.judge_probs[:, j], dtype=np.float64)
            cols[f"judge{j}_disagrees"] = np.nan_to_num(np.abs(col - y), nan=0.5)
            cols[f"judge{j}_missing_or_tie"] = (np.isnan(col) | (col == 0.5)).astype(np.float64)
    if inp.response_pairs is not None:
        cols.update(sibling_features(inp))
    if stats is not None:
        log_ratio = np.log1p(stats.len_b) - np.log1p(stats.len_a)
        picks_longer = np.where(inp.ai_label == 1, log_ratio, -log_ratio)
        cols.update(
            log_len_ratio_abs=np.abs(log_ratio),
            ai_picks_longer=np.where(inp.ai_label < 0, 0.0, picks_longer),
            log_len_total=np.log1p(stats.len_a + stats.len_b),
            log_prompt_len=np.log1p(stats.prompt_len),
            overlap=stats.overlap,
            either_empty=((stats.len_a == 0) | (stats.len_b == 0)).astype(np.float64),
        )
    if cosine is not None:
        cols["response_cosine"] = np.asarray(cosine, dtype=np.float64)
    names = tuple(cols)
    return np.column_stack([cols[k] for k in names]), names


def sibling_features(inp: RoutingInput) -> dict[str, np.ndarray]:
    """The AI label against what the AI's own and the other opinions' verdicts on sibling
    items imply (``routing.siblings``): intransitive labels are likely wrong."""
    assert inp.response_pairs is not None
    pairs, y = inp.response_pairs, inp.ai_label
    ai_prob = np.where(y < 0, np.nan, y.astype(np.float64))
    others = np.zeros(inp.n)
    if inp.judge_probs is not None:
        for j in range(inp.judge_probs.shape[1]):
            others += implied_preference(pairs, inp.judge_probs[:, j])
    if inp.member_probs is not None and inp.member_probs.shape[1]:
        others += implied_preference(pairs, inp.member_probs.mean(axis=1))
    return {
        "ai_against_siblings": against_siblings(y, implied_preference(pairs, ai_prob)),
        "others_against_siblings": against_siblings(y, others),
    }


def thirds(values: np.ndarray, prefix: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Three binary tags: value in the low, middle or high third of its own distribution."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = np.nanquantile(values, [1 / 3, 2 / 3]) if len(values) else (0.0, 0.0)
    bins = np.column_stack([values <= lo, (values > lo) & (values <= hi), values > hi])
    return bins, (f"{prefix}_low", f"{prefix}_mid", f"{prefix}_high")


def item_tags(
    stats: TextStats,
    cosine: np.ndarray | None = None,
    metadata: Sequence[Mapping[str, object]] | None = None,
    metadata_keys: Sequence[str] = ("category", "domain", "motivation_app", "subset"),
    min_count: int = 20,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """HyPER's binary tags: textual ones binned into thirds plus descriptive ones.

    Descriptive tags are one per frequent value (at least ``min_count`` items) of the given
    metadata keys, plus code, math and multi-turn presence.
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    textual = {
        "length": np.log1p(stats.len_a + stats.len_b),
        "length_diff": np.abs(np.log1p(stats.len_b) - np.log1p(stats.len_a)),
        "overlap": stats.overlap,
    }
    if cosine is not None:
        textual["cosine"] = cosine
    for prefix, values in textual.items():
        bins, bin_names = thirds(values, prefix)
        blocks.append(bins)
        names += bin_names
    blocks.append(np.column_stack([stats.has_code, stats.has_math, stats.multi_turn]))
    names += ["code", "math", "multi_turn"]
    for key in metadata_keys if metadata is not None else ():
        assert metadata is not None
        values = [str(m.get(key)) if m.get(key) is not None else None for m in metadata]
        for value, count in sorted(Counter(v for v in values if v is not None).items()):
            if count >= min_count:
                blocks.append(np.array([v == value for v in values])[:, None])
                names.append(f"{key}={value}")
    return np.column_stack(blocks).astype(bool), tuple(names)

"""Signals read off the AI opinions themselves: a judge against its own swapped run, and the
share of all AI votes that back the accepted label.

Choice codes as in ``store.routes``: 0 / 1 a verdict, -1 a tie or unparseable answer, -2 no
opinion from that source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

SWAPPED = "@swapped"


def swapped_twin(source: str, sources: Sequence[str] | Mapping[str, object]) -> str | None:
    """The same judge's run in the other presentation order, if the project has it."""
    twin = source.removesuffix(SWAPPED) if source.endswith(SWAPPED) else source + SWAPPED
    return twin if twin in sources else None


def contradiction(codes: np.ndarray, twin: np.ndarray) -> np.ndarray:
    """1 where the two orders give opposite verdicts, 0.5 where one holds a verdict and the
    other calls a tie, 0 where they agree or either is missing.

    >>> contradiction(np.array([0, 0, 1, -1, -2]), np.array([1, 0, -1, -1, 0])).tolist()
    [1.0, 0.0, 0.5, 0.0, 0.0]
    """
    both = (codes >= -1) & (twin >= -1)
    decisive, decisive_twin = codes >= 0, twin >= 0
    out = np.zeros(len(codes))
    out[both & decisive & decisive_twin & (codes != twin)] = 1.0
    out[both & (decisive != decisive_twin)] = 0.5
    return out


def vote_share(ai_label: np.ndarray, opinions: Sequence[np.ndarray]) -> np.ndarray:
    """Share of the AI votes (every judge and order) that back ``ai_label``; a tie counts half.

    This is a judge's confidence where the judges give none: 1 when every run agrees, 0.5
    when they split, NaN where nobody voted or there is no AI label.

    >>> vote_share(np.array([1, 0]), [np.array([1, 1]), np.array([1, -1])]).tolist()
    [1.0, 0.25]
    """
    n = len(ai_label)
    total, votes = np.zeros(n), np.zeros(n)
    for codes in opinions:
        present = codes >= -1
        backs = np.where(codes == ai_label, 1.0, np.where(codes == -1, 0.5, 0.0))
        total += np.where(present, backs, 0.0)
        votes += present
    share = np.divide(total, votes, out=np.full(n, np.nan), where=votes > 0)
    share[ai_label < 0] = np.nan
    return share

"""The order a listwise ranking is built in: ranks from a drag, shared ranks for ties, and the
order so far in words. Pure functions over ranks in shown positions (None = not ranked)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

Ranks = Sequence[int | None]


def groups(ranks: Ranks) -> list[list[int]]:
    """Ranked positions grouped by rank, best first (a tie is one group)."""
    ranked = sorted((r, pos) for pos, r in enumerate(ranks) if r is not None)
    return [[pos for _r, pos in g] for _rank, g in groupby(ranked, key=lambda t: t[0])]


def from_groups(n: int, ordered: Sequence[Sequence[int]]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) for ``n`` responses; positions in no group stay None."""
    ranks: list[int | None] = [None] * n
    placed = 0
    for group in ordered:
        for pos in group:
            ranks[pos] = placed + 1
        placed += len(group)
    return ranks


def rank_dropped(ranks: Ranks, moved: int, ranked_above: int) -> list[int | None]:
    """Ranks after response ``moved`` is dragged below ``ranked_above`` ranked responses.

    Only the dragged response gains a rank; responses not ranked yet stay unranked, and the
    ranked ones keep their order and ties (they move down one place where it is inserted).
    """
    rest = groups([None if pos == moved else r for pos, r in enumerate(ranks)])
    out: list[list[int]] = []
    seen = 0
    inserted = False
    for group in rest:
        if not inserted and seen >= ranked_above:
            out.append([moved])
            inserted = True
        out.append(group)
        seen += len(group)
    if not inserted:
        out.append([moved])
    return from_groups(len(ranks), out)


def rank_label(ranks: Ranks, pos: int) -> str:
    """``#2``, ``#2=`` when the rank is shared (a tie), ``#–`` when not ranked."""
    rank = ranks[pos]
    if rank is None:
        return "#–"
    shared = sum(r == rank for r in ranks) > 1
    return f"#{rank}{'=' if shared else ''}"


def order_text(ranks: Ranks) -> str:
    """The order so far, e.g. ``Order so far: 2 › 1 = 3 · not ranked yet: 4``."""
    ordered = groups(ranks)
    if not ordered:
        return "Order so far: nothing ranked yet"
    text = "Order so far: " + " › ".join(" = ".join(str(p + 1) for p in g) for g in ordered)
    left = [str(pos + 1) for pos, r in enumerate(ranks) if r is None]
    return text + (f"   ·   not ranked yet: {', '.join(left)}" if left else "")

"""What a budget in hours of people's time buys, said before routing.

The pace is the one routing uses (``labeler.routing.pace.fit_pace`` on the project's timed
labels, each item's predicted time from its length); here it is averaged over the items routing
could send, so "3 h" reads as "about 240 items at your pace of 45 s per item". Routing itself
may pick shorter or longer items than the average, hence "about".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from labeler.routing.pace import fit_pace
from labeler.store.labels import LIVE_LABEL
from labeler.store.timing import pair_chars, timed_labels

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class HoursPreview:
    """The pace behind a budget in hours.

    ``seconds_per_item`` is the mean predicted time of an item routing could send (None: no
    timed labels, so hours cannot be turned into items); ``timed`` the timed labels it rests
    on; ``by_length`` whether it follows each item's length (else every item takes the mean
    time of the timed labels, as with too few of them); ``items`` how many
    items routing could send.
    """

    seconds_per_item: float | None
    timed: int
    by_length: bool
    items: int
    lengths: ItemLengths | None = field(default=None, repr=False, compare=False)

    def items_for(self, hours: float) -> int | None:
        """About how many items ``hours`` buy; None when the pace is unknown.

        >>> HoursPreview(45.0, 30, True, 1000).items_for(3.0)
        240
        >>> HoursPreview(45.0, 30, True, 100).items_for(3.0)  # no more than there are
        100
        """
        if self.seconds_per_item is None:
            return None
        return min(self.items, int(hours * 3600 // self.seconds_per_item))


@dataclass(frozen=True, slots=True)
class ItemLengths:
    """Characters of every two-response item, read once per item count: reading every item's
    text is the slow part (a second on 100,000 items), and an item's text never changes."""

    items: int
    chars: dict[str, int]


def hours_preview(db: sqlite_utils.Database, known: ItemLengths | None = None) -> HoursPreview:
    """The project's pace, over the two-response items no person has labelled yet; ``known``
    lengths from the last preview are reused while the number of items is the same."""
    total = int(db.conn.execute("SELECT count(*) FROM items").fetchone()[0])
    lengths = known if known is not None and known.items == total else None
    lengths = lengths or ItemLengths(total, pair_chars(db))
    labelled = {
        row[0]
        for row in db.conn.execute(
            f"SELECT DISTINCT l.item_id FROM labels l WHERE l.source != 'model' AND {LIVE_LABEL}"
        )
    }
    chars = np.array([c for i, c in lengths.chars.items() if i not in labelled], dtype=np.float64)
    pace = fit_pace(*timed_labels(db))
    if pace is None:
        return HoursPreview(None, 0, False, len(chars), lengths)
    seconds = pace.seconds(chars if len(chars) else np.zeros(1))
    return HoursPreview(float(seconds.mean()), pace.n, pace.b > 0, len(chars), lengths)

"""What a budget in hours of people's time buys, said before routing.

The pace is the one routing uses (``labeler.routing.pace.fit_pace`` on the project's timed
labels, each item's predicted time from its length); here it is averaged over the items routing
could send, so "3 h" reads as "about 240 items at your pace of 45 s per item". Routing itself
may pick shorter or longer items than the average, hence "about".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from labeler.routing.pace import fit_pace
from labeler.store.labels import LIVE_LABEL
from labeler.store.timing import item_chars, timed_labels

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


def hours_preview(db: sqlite_utils.Database) -> HoursPreview:
    """The project's pace, over the two-response items no person has labelled yet."""
    ids = [
        row[0]
        for row in db.conn.execute(
            "SELECT items.id FROM items WHERE n_responses = 2 AND NOT EXISTS (SELECT 1 FROM "
            f"labels l WHERE l.item_id = items.id AND l.source != 'model' AND {LIVE_LABEL})"
        )
    ]
    pace = fit_pace(*timed_labels(db))
    if pace is None:
        return HoursPreview(None, 0, False, len(ids))
    seconds = pace.seconds(item_chars(db, ids) if ids else np.zeros(1))
    return HoursPreview(float(seconds.mean()), pace.n, pace.b > 0, len(ids))

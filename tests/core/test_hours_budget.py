"""What a budget in hours buys: the routing pace over the items still to label."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labeler.db import open_db, transaction
from labeler.hours_budget import hours_preview
from labeler.routing.pace import fit_pace
from labeler.store import add_items, insert_labels
from labeler.store.timing import item_chars, timed_labels
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source


def _label(item: Item, ms: int) -> Label:
    return Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ana", time_ms=ms)


def test_the_preview_follows_labels_and_imports_with_the_lengths_it_kept(tmp_path: Path) -> None:
    items = [
        Item(f"q{i}", (Response("x" * (30 + 50 * (i % 7))), Response(f"b{i}"))) for i in range(60)
    ]
    three = Item("rank", (Response("a"), Response("b"), Response("c")))  # not routable
    db = open_db(tmp_path / "p.db")
    add_items(db, [*items, three])
    assert hours_preview(db).seconds_per_item is None  # no timed labels: unknown
    with transaction(db.conn):
        insert_labels(
            db.conn, [_label(items[i], 2000 + 40 * (30 + 50 * (i % 7))) for i in range(25)]
        )
    first = hours_preview(db)
    assert (first.items, first.timed, first.by_length) == (35, 25, True)
    pace = fit_pace(*timed_labels(db))
    assert pace is not None
    rest = [it.id for it in items[25:]]
    assert first.seconds_per_item == float(np.mean(pace.seconds(item_chars(db, rest))))
    with transaction(db.conn):
        insert_labels(db.conn, [_label(items[25], 9000)])
    again = hours_preview(db, first.lengths)
    assert again.lengths is first.lengths  # nothing imported: the lengths are not read again
    assert (again.items, again.timed) == (34, 26)
    add_items(db, [Item("new", (Response("n"), Response("m")))])
    grown = hours_preview(db, again.lengths)
    assert grown.lengths is not again.lengths
    assert grown.items == 35

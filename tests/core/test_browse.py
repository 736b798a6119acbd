"""Browsing queries agree with the rules they list: the model label review shows, the label
that counts, and a person's decided items in order."""

from __future__ import annotations

from pathlib import Path

from labeler.store import add_items, open_db, record_label
from labeler.store.browse import (
    RecordFilter,
    recent_decisions,
    record_rows,
    record_seqs,
)
from labeler.store.labels import model_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

A, B = PairwiseValue(PairChoice.A), PairwiseValue(PairChoice.B)


def test_confidence_order_uses_the_model_label_review_shows(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [Item(f"p{i}", (Response(f"a{i}"), Response(f"b{i}"))) for i in range(3)]
    add_items(db, items)
    # item 0: the trusted judge says 0.6, a later other model 0.99; item 1: 0.8; item 2: none
    record_label(db, Label(items[0].id, A, Source.MODEL, "judge", confidence=0.6))
    record_label(db, Label(items[0].id, B, Source.MODEL, "other", confidence=0.99))
    record_label(db, Label(items[1].id, A, Source.MODEL, "other", confidence=0.8))
    db.conn.execute("UPDATE items SET ai_source = 'judge' WHERE id = ?", (items[0].id,))
    db.conn.commit()
    seqs = record_seqs(db, sort="confidence", descending=True)
    rows = record_rows(db, seqs)
    shown = [model_label(db, r.item_id) for r in rows]
    assert [r.model_confidence for r in rows] == [s.confidence if s else None for s in shown]
    assert [r.item_id for r in rows] == [items[1].id, items[0].id, items[2].id]
    assert record_seqs(db, RecordFilter(min_confidence=0.7)) == [rows[0].seq]


def test_the_listed_label_is_the_one_that_counts(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    item = Item("p", (Response("a"), Response("b")))
    add_items(db, [item])
    record_label(db, Label(item.id, A, Source.MODEL, "rm", confidence=0.9))
    record_label(db, Label(item.id, B, Source.HUMAN, "ana"))
    (row,) = record_rows(db, record_seqs(db))
    assert row.label is not None
    assert (row.label_source, row.label.annotator) == ("human", "ana")  # people first
    assert record_seqs(db, RecordFilter(label_source="model")) == []
    assert recent_decisions(db, "ana") == [item.id]

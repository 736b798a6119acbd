"""An export asks before taking model labels whose accuracy is low or unknown."""

from __future__ import annotations

from pathlib import Path

from labeler.export_check import ModelLabelCheck, check_model_labels
from labeler.store import add_items, open_db, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source


def test_a_low_estimate_is_shown_with_its_interval_and_a_way_to_improve_it() -> None:
    check = ModelLabelCheck(1200, 0.81, (0.74, 0.87), 60)
    assert check.needs_confirmation
    text = check.explain()
    assert "1,200 labels made by the model. Estimated accuracy of the model's labels: " in text
    assert "81.0% (95% interval 74.0–87.0%, from 60 audited items)" in text
    assert "review the audit items" in text
    assert not ModelLabelCheck(1200, 0.95, (0.92, 0.97), 300).needs_confirmation
    assert not ModelLabelCheck(0, None, None, 0).needs_confirmation


def test_only_sources_with_model_labels_are_checked(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    item = Item("p", (Response("a"), Response("b")))
    add_items(db, [item])
    db.conn.execute("UPDATE items SET route = 'model', status = 'done'")
    db.conn.commit()
    record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.MODEL, "rm"))
    finished = check_model_labels(db, "finished")
    assert (finished.model_labels, finished.accuracy) == (1, None)
    assert finished.needs_confirmation
    assert check_model_labels(db, "human").model_labels == 0

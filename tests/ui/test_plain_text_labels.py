"""Names and file names from data are shown as text: no label or tooltip renders them as markup
(an annotator named ``<img src=...>`` must not draw a local image)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from labeler.store import add_items, open_db, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from ui.jobs import agreement_job
from ui.panels.agreement_panel import AgreementPanel
from ui.panels.table_model import RowsModel
from ui.plain import plain_tooltip

pytestmark = pytest.mark.gui


def test_agreement_panel_shows_a_hostile_annotator_name_as_text(qtbot, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    name = f'<img src="{secret}"><b>bob</b>'
    db = open_db(tmp_path / "p.db")
    items = [Item(f"p{i}", (Response(f"a{i}"), Response(f"b{i}"))) for i in range(40)]
    add_items(db, items)
    for item in items:  # always the left side: a side preference the panel names
        record_label(
            db,
            Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, name, shown_order=(0, 1)),
        )
    db.close()
    gen = agreement_job(tmp_path / "p.db")
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        report = stop.value
    panel = AgreementPanel()
    qtbot.addWidget(panel)
    panel.show_report(report)
    assert name in panel.summary.text()
    dynamic = [w for w in panel.findChildren(QLabel) if w.text() and name in w.text()]
    assert dynamic
    assert all(w.textFormat() == Qt.TextFormat.PlainText for w in dynamic)
    bias = panel.bias_model
    (row,) = [r for r in range(bias.rowCount()) if bias.cell(r, 0) == name]
    tip = bias.data(bias.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img" in tip
    assert "<img" not in tip


def test_tooltips_of_every_table_are_plain_text() -> None:
    model = RowsModel(["name"])
    model.set_rows([["x"]], ["<h1>big</h1>"], [False])
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) == plain_tooltip(
        "<h1>big</h1>"
    )
    assert "&lt;h1&gt;" in (plain_tooltip("<h1>big</h1>") or "")

"""Scrolling a form never changes its fields: an unfocused combo box or spin box leaves the
wheel to the scroll area around it; once focused (clicked or tabbed to), it takes the wheel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QScrollArea,
    QWidget,
)
from ui_helpers import make_project, pair_items

from labeler.demo import VOTES_FILE
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_dialog import ImportDialog
from ui.dialogs.judge_dialog import JudgeDialog

pytestmark = pytest.mark.gui

HH = Path("/work/shared/data/raw/hh-rlhf/harmless-base/test.jsonl.gz")


def wheel(widget: QWidget, notches: int = -3) -> bool:
    """Turn the mouse wheel over the middle of ``widget`` (down, by default); whether the
    widget kept the turn (an ignored turn goes on to the parent, the scroll area)."""
    middle = QPointF(widget.rect().center())
    event = QWheelEvent(
        middle, QPointF(widget.mapToGlobal(middle)), QPoint(0, 0), QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_scrolling_the_field_mapping_leaves_the_mappings_alone(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ImportDialog([HH])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    chosen = dialog.map_combos["chosen"]
    assert chosen.count() > 1  # the file's fields are offered: the wheel could change it
    before = chosen.currentText()
    assert not chosen.hasFocus()
    assert chosen.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert isinstance(dialog.tabs.currentWidget(), QScrollArea)
    assert not wheel(chosen)  # passed on to the scroll area...
    assert chosen.currentText() == before  # ... and the mapping is unchanged
    chosen.setFocus()  # clicked or tabbed to: now the wheel is the field's
    qtbot.waitUntil(chosen.hasFocus)
    assert wheel(chosen, notches=-1)
    assert chosen.currentText() != before


@pytest.mark.parametrize("make", [lambda: JudgeDialog(VOTES_FILE), ExportDialog])
def test_every_form_field_leaves_an_unfocused_wheel_alone(qtbot, make) -> None:  # type: ignore[no-untyped-def]
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    fields = dialog.findChildren(QComboBox) + dialog.findChildren(QAbstractSpinBox)
    assert fields
    for field in fields:
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus
        if not field.hasFocus() and field.isEnabled():
            before = field.currentText() if isinstance(field, QComboBox) else field.text()
            assert not wheel(field)
            assert not wheel(field, notches=3)
            after = field.currentText() if isinstance(field, QComboBox) else field.text()
            assert after == before, field.objectName()


def test_the_side_panels_scroll_past_their_fields_too(window_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = window_factory(make_project(tmp_path / "p.db", pair_items(3)))
    panels = [dock.widget() for dock in window.findChildren(QDockWidget)]
    fields = [
        field
        for area in panels
        if isinstance(area, QScrollArea)
        for field in area.findChildren(QComboBox) + area.findChildren(QAbstractSpinBox)
    ]
    assert fields  # the routing panel's strategy, audit share, budget...
    for field in fields:
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus
        if not field.hasFocus():
            assert not wheel(field)

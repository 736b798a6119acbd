"""A job's whole result stays readable at 1024 px: the status bar shows a short form for a
while, the routing panel keeps the whole text in wrapped labels; and the estimated accuracy
wraps to as many lines as it needs, never clipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QScrollArea

from labeler.demo import add_bundled_labels, create_demo_project
from ui.model_actions import show_routing
from ui.panels.job_results import STATUS_CHARS, WHERE, short_form

pytestmark = pytest.mark.gui


def _text_height(label, text: str) -> int:  # type: ignore[no-untyped-def]
    """The height ``text`` needs word-wrapped at the label's width."""
    room = QRect(0, 0, label.contentsRect().width(), 100_000)
    flags = int(Qt.TextFlag.TextWordWrap.value)
    return int(label.fontMetrics().boundingRect(room, flags, text).height())


def _small_window(window_factory, project: Path, qtbot):  # type: ignore[no-untyped-def]
    window = window_factory(project)
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.width() == 1024)
    show_routing(window)
    return window


def test_training_result_stays_whole_under_routing(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "demo.db"
    db = create_demo_project(project)
    add_bundled_labels(db, voted_pairs=40)  # enough people's votes to train and cross-validate
    db.conn.close()
    window = _small_window(window_factory, project, qtbot)
    results = window.panels.routing.results
    assert not results.isVisible()  # nothing to say before a job ended
    window.actions_by_id["train"].trigger()
    qtbot.waitUntil(lambda: not window.jobs.shown_busy, timeout=120_000)

    label = results.labels["Training"]
    whole = label.text()
    assert "cross-validated accuracy" in whole
    assert '"the longer response wins"' in whole
    assert "for response length alone" in whole
    # readable: shown, scrolled to, and tall enough for every wrapped line
    area = results.parent()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parent()
    assert area is not None
    area.ensureWidgetVisible(label)
    qtbot.waitUntil(label.isVisible)
    qtbot.waitUntil(lambda: label.height() >= _text_height(label, whole))
    assert label.width() >= 100

    message = window.statusBar().currentMessage()
    assert message == short_form(whole)
    assert len(message) <= STATUS_CHARS + len(WHERE) + 5
    assert message.endswith(f"({WHERE})")


def test_short_form_is_the_whole_text_when_it_fits() -> None:
    assert short_form("scored 314 items with v1") == "scored 314 items with v1"
    long = (
        "trained v1; 5-fold cross-validated accuracy 71.0% (on items it was not trained on), " * 2
    )
    cut = short_form(long)
    assert cut.startswith("trained v1; 5-fold cross-validated accuracy 71.0%")
    assert cut.endswith(f"… ({WHERE})")


def test_estimated_accuracy_wraps_to_its_whole_text(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _small_window(window_factory, None, qtbot)
    label = window.panels.routing.accuracy_label
    text = (
        "100.0% (95% interval 71.6–100.0%), from 1 audited items; ±2% would take about 92 more "
        "reviews, but only 90 model labels are left to review"
    )
    label.setText(text)
    qtbot.waitUntil(label.isVisible)
    qtbot.waitUntil(lambda: label.height() >= _text_height(label, text))
    assert label.sizeHint().height() >= _text_height(label, text)
    assert _text_height(label, text) > 3 * label.fontMetrics().height()  # it did wrap

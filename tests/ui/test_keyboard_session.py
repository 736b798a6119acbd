"""Drive whole sessions by keyboard; the store must hold exactly what was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_helpers import list_item, make_project, pair_items, press

from labeler.db import open_db
from labeler.session import shown_order_for
from labeler.store import label_history, live_labels, record_label
from labeler.store.items import item_state
from labeler.types import (
    Action,
    BinaryValue,
    Label,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
    Source,
    Status,
)

pytestmark = pytest.mark.gui


def _stored_pick(item_id: str, shown_side: int) -> PairChoice:
    order = shown_order_for(item_id, 2, 0)
    return PairChoice.A if order[shown_side] == 0 else PairChoice.B


def test_pairwise_session_by_keyboard(window_factory, tmp_path: Path, qtbot) -> None:
    items = pair_items(5)
    project = make_project(tmp_path / "p.db", items)
    window = window_factory(project)
    seen = []
    for keys in (["a"], ["shift+b"], ["t"], ["x"]):
        seen.append(window.page.pair.item_id)
        press(window, *keys)
    seen.append(window.page.pair.item_id)
    press(window, "s")  # skip the fifth
    press(window, "ctrl+z")  # undo the skip: back on the fifth
    assert window.page.pair.item_id == seen[4]
    press(window, "f", "2")  # flag it, then right is better
    press(window, "ctrl+z")  # undo that label: the fifth is shown again, still flagged
    assert window.page.pair.item_id == seen[4]
    press(window, "1")

    db = open_db(project)
    expected = [
        PairwiseValue(_stored_pick(seen[0], 0), 1),
        PairwiseValue(_stored_pick(seen[1], 1), 2),
        PairwiseValue(PairChoice.TIE),
        PairwiseValue(PairChoice.BOTH_BAD),
        PairwiseValue(_stored_pick(seen[4], 0), 1),
    ]
    for item_id, value in zip(seen, expected, strict=True):
        [label] = live_labels(db, item_id)
        assert label.value == value
        assert label.source is Source.HUMAN
        assert label.annotator == "ana"
        assert label.action is Action.LABEL
        assert label.shown_order == shown_order_for(item_id, 2, 0)
        assert label.time_ms is not None
        assert label.time_ms >= 0
    history = label_history(db, seen[4])
    assert [e.action for e in history] == [Action.LABEL, Action.RETRACT, Action.LABEL]
    assert history[0].value == PairwiseValue(_stored_pick(seen[4], 1), 1)
    assert item_state(db, seen[4]) == (Status.DONE, True, item_state(db, seen[4])[2])
    qtbot.waitUntil(lambda: window.queues.item(2).text() == "Done: 5", timeout=5000)
    assert window.queues.item(4).text() == "Flagged: 1"


def test_history_left_right_and_relabel(window_factory, tmp_path: Path) -> None:
    items = pair_items(3)
    project = make_project(tmp_path / "p.db", items)
    window = window_factory(project)
    first = window.page.pair.item_id
    press(window, "a", "b")
    press(window, "left", "left")
    assert window.page.pair.item_id == first
    press(window, "t")  # relabel the first as a tie
    press(window, "right")
    db = open_db(project)
    events = label_history(db, first)
    assert [e.value for e in live_labels(db, first)] == [PairwiseValue(PairChoice.TIE)]
    assert events[-1].supersedes == events[0].id


def test_listwise_session_by_keyboard(window_factory, tmp_path: Path) -> None:
    item = list_item(4)
    project = make_project(tmp_path / "p.db", [item])
    window = window_factory(project)
    assert window.page.active == "rank"
    rank = window.page.rank
    # ranks 1, 2, 2 (a tie), 3 typed down the list; rating 4 on the last; thumbs up / down on
    # the first two
    press(window, "1", "2", "2", "3")
    press(window, "alt+4", "up", "up", "up", "u", "down", "d")
    press(window, "r")
    from ui.views.rationale import RationaleDialog

    dialog = window.findChild(RationaleDialog)
    dialog.editor.setPlainText("first is clearly best")
    dialog.accept()
    assert rank.ranks == [1, 2, 2, 3]
    press(window, "return")

    order = shown_order_for(item.id, 4, 0)
    db = open_db(project)
    labels = {lab.kind.value: lab for lab in live_labels(db, item.id)}
    stored_ranks = [None] * 4
    stored_thumbs = [None] * 4
    stored_ratings = [None] * 4
    for pos, idx in enumerate(order):
        stored_ranks[idx] = [1, 2, 2, 3][pos]
    stored_thumbs[order[0]] = True
    stored_thumbs[order[1]] = False
    stored_ratings[order[3]] = 4
    assert labels["ranking"].value == RankingValue(tuple(stored_ranks))
    assert labels["binary"].value == BinaryValue(tuple(stored_thumbs))
    assert labels["rating"].value == RatingValue(tuple(stored_ratings))
    for label in labels.values():
        assert label.shown_order == order
        assert label.rationale == "first is clearly best"
    press(window, "ctrl+z")
    assert live_labels(db, item.id) == []
    assert window.page.rank.item_id == item.id


def test_listwise_drag_ranks_only_the_dragged_response(window_factory, tmp_path: Path) -> None:
    from PySide6.QtCore import QModelIndex

    project = make_project(tmp_path / "p.db", [list_item(4)])
    window = window_factory(project)
    rank = window.page.rank
    # a drop moves the row in the list's model, as a mouse drag does: third row to the top
    assert rank.list.model().moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert rank.ranks == [None, None, 1, None]  # the others stay unranked
    assert rank.list.positions() == [2, 0, 1, 3]  # the order being built, then the rest
    assert rank.order.text() == "Order so far: 3   ·   not ranked yet: 1, 2, 4"
    rank.list.setCurrentRow(3)  # response 4 goes below response 3
    rank.move_selected(1)
    assert rank.ranks == [None, None, 1, 2]
    rank.list.setCurrentRow(2)  # response 1: typed 2, a tie with response 4
    press(window, "2")
    assert rank.ranks == [2, None, 1, 2]
    assert rank.list.item(1).text().startswith("#2=")
    assert rank.order.text() == "Order so far: 3 › 1 = 4   ·   not ranked yet: 2"
    rank.list.setCurrentRow(3)  # response 2, dragged to the top: everyone ranked moves down
    rank.move_selected(0)
    assert rank.ranks == [3, 1, 2, 3]


def test_review_accept_and_override_by_keyboard(window_factory, tmp_path: Path) -> None:
    items = pair_items(2)
    project = make_project(tmp_path / "p.db", items)
    db = open_db(project)
    db.conn.execute("UPDATE items SET route = 'review'")
    models = {
        it.id: record_label(
            db, Label(it.id, PairwiseValue(PairChoice.A), Source.MODEL, "rm", confidence=0.7)
        )
        for it in items
    }
    window = window_factory(project)
    press(window, "ctrl+2")
    assert window.page.banner.isVisible()
    assert "70%" in window.page.banner.text.text()
    first = window.page.pair.item_id
    press(window, "return")  # accept
    second = window.page.pair.item_id
    assert second != first
    right_is_a = shown_order_for(second, 2, 0)[1] == 0
    press(window, "a" if right_is_a else "b")  # pick the stored B: an override
    accepted = live_labels(db, first)[-1]
    assert accepted.action is Action.ACCEPT
    assert accepted.supersedes == models[first].id
    assert accepted.value == PairwiseValue(PairChoice.A)
    overridden = live_labels(db, second)[-1]
    assert overridden.action is Action.OVERRIDE
    assert overridden.supersedes == models[second].id
    assert overridden.value == PairwiseValue(PairChoice.B, 1)
    assert overridden.shown_order == shown_order_for(second, 2, 0)


def test_suggestions_hidden_while_labelling_unless_turned_on(window_factory, tmp_path) -> None:
    items = pair_items(1)
    project = make_project(tmp_path / "p.db", items)
    db = open_db(project)
    record_label(db, Label(items[0].id, PairwiseValue(PairChoice.A), Source.MODEL, "rm"))
    window = window_factory(project)
    assert not window.page.banner.isVisible()
    press(window, "m")
    assert window.page.banner.isVisible()
    assert window.page.banner.accept_button.isHidden()


def test_shortcuts_overlay_lists_every_action(window_factory) -> None:
    from ui.actions import ACTIONS

    window = window_factory()
    press(window, "f1")
    from ui.actions import ShortcutsDialog

    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    texts = {dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())}
    assert texts == {spec.text for spec in ACTIONS}


def test_zoom_keys_change_the_font(window_factory, tmp_path) -> None:
    window = window_factory(make_project(tmp_path / "p.db", pair_items(1)))
    before = window.controller.options.zoom
    press(window, "ctrl+equal")
    assert window.controller.options.zoom > before
    assert window.page.pair.left.browser.font().pointSizeF() == window.controller.options.zoom
    press(window, "ctrl+0")
    assert window.controller.options.zoom == before


def test_recent_projects_are_remembered(window_factory, tmp_path, settings) -> None:
    project = make_project(tmp_path / "p.db", pair_items(1))
    window_factory(project)
    assert settings.value("recent") in ([str(project)], str(project))

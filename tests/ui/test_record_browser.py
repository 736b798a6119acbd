"""The record browser: every item listed, filtered and sorted; items opened, relabelled,
served again; history across restarts; bulk review of the surest model labels."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_helpers import make_project, pair_items, press

from labeler.bulk_review import review_candidates
from labeler.db import open_db
from labeler.store import label_history, live_labels, record_label
from labeler.store.items import item_state
from labeler.types import Action, Item, Label, PairChoice, PairwiseValue, Response, Source, Status
from tests.core.test_bulk_review import routed_demo
from ui.browser.record_browser import RecordBrowser


def _project(tmp_path: Path) -> tuple[Path, list[Item]]:
    items = [*pair_items(5), Item("Tagged prompt about llamas", (Response("x"), Response("y")),
                                   tags=("animals",))]  # fmt: skip
    project = make_project(tmp_path / "p.db", items)
    db = open_db(project)
    db.conn.execute("UPDATE items SET route = 'review' WHERE seq IN (4, 5)")
    db.conn.commit()
    for item, conf in ((items[3], 0.95), (items[4], 0.7)):
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.MODEL, "judge",
                               confidence=conf))  # fmt: skip
    db.conn.close()
    return project, items


def _browser(window, qtbot) -> RecordBrowser:  # type: ignore[no-untyped-def]
    press(window, "ctrl+b")
    browser = window.findChild(RecordBrowser)
    assert browser is not None
    assert browser.isVisible()
    _settle(browser, qtbot)
    return browser


def _settle(browser: RecordBrowser, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The filter and sort run in a worker: wait for the answer."""
    qtbot.waitUntil(lambda: not browser.model.loading)


def test_every_item_is_listed_and_filters_and_sorts(window_factory, tmp_path: Path, qtbot) -> None:
    project, items = _project(tmp_path)
    window = window_factory(project)
    press(window, "a", "s", "f")  # label the first item, skip the second, flag the third
    browser = _browser(window, qtbot)
    model = browser.model
    assert model.rowCount() == 6
    assert browser.count.text() == "6 items"
    browser.status.setCurrentText("skipped")
    _settle(browser, qtbot)
    assert model.rowCount() == 1
    browser.status.setCurrentText("any")
    _settle(browser, qtbot)
    browser.source.setCurrentText("human")
    _settle(browser, qtbot)
    assert [model.record(r).label_source for r in range(model.rowCount())] == ["human"]
    assert model.record(0).label.annotator == "ana"
    browser.source.setCurrentText("model")
    _settle(browser, qtbot)
    assert model.rowCount() == 2
    browser.source.setCurrentText("any")
    _settle(browser, qtbot)
    browser.flagged.setCurrentText("flagged")
    _settle(browser, qtbot)
    assert model.rowCount() == 1
    browser.flagged.setCurrentText("any")
    _settle(browser, qtbot)
    browser.tag.setText("animals")
    browser.apply_filter()
    _settle(browser, qtbot)
    assert [model.record(r).item_id for r in range(model.rowCount())] == [items[5].id]
    browser.tag.clear()
    browser.search.setText("llamas")
    browser.apply_filter()
    _settle(browser, qtbot)
    assert model.rowCount() == 1
    browser.search.clear()
    browser.apply_filter()
    _settle(browser, qtbot)
    browser.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)  # model confidence
    _settle(browser, qtbot)
    confidence = model.index(0, 7).data()
    assert confidence == "95%"
    assert model.index(1, 7).data() == "70%"
    assert model.headerData(7, Qt.Orientation.Horizontal) == "Model confidence (50% = chance)"


def test_sidebar_lists_open_in_the_browser(window_factory, tmp_path: Path, qtbot) -> None:
    project, _items = _project(tmp_path)
    window = window_factory(project)
    press(window, "a", "s", "f")
    for row, expected in ((2, 1), (3, 1), (4, 1)):  # Done, Skipped, Flagged
        rect = window.queues.visualItemRect(window.queues.item(row))
        qtbot.mouseClick(window.queues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        browser = window.findChild(RecordBrowser)
        assert browser.isVisible()
        _settle(browser, qtbot)
        assert browser.model.rowCount() == expected
        assert window.queues.currentRow() == 0  # still labelling the same queue
    assert browser.model.where.flagged is True


def test_an_opened_item_can_be_relabelled(window_factory, tmp_path: Path, qtbot) -> None:
    project, items = _project(tmp_path)
    window = window_factory(project)
    press(window, "a", "a")
    browser = _browser(window, qtbot)
    browser.status.setCurrentText("done")
    _settle(browser, qtbot)
    first = next(r for r in range(2) if browser.model.record(r).item_id == items[0].id)
    browser.table.selectRow(first)
    browser.open_selected()
    assert window.page.pair.item_id == items[0].id
    qtbot.waitUntil(window.isActiveWindow)  # opening an item brings the window forward
    press(window, "t")  # relabel as a tie
    db = open_db(project)
    (live,) = live_labels(db, items[0].id)
    assert live.value == PairwiseValue(PairChoice.TIE)
    assert [lab.action for lab in label_history(db, items[0].id)] == [Action.LABEL, Action.LABEL]
    assert window.page.pair.item_id == items[2].id  # back to where the person was


def test_skipped_items_can_be_served_again(window_factory, tmp_path: Path, qtbot) -> None:
    project, items = _project(tmp_path)
    window = window_factory(project)
    press(window, "s")
    browser = _browser(window, qtbot)
    browser.show_list("skipped")
    _settle(browser, qtbot)
    assert browser.unskip_button.isEnabled()
    browser.unskip_button.click()
    _settle(browser, qtbot)
    db = open_db(project)
    assert item_state(db, items[0].id)[0] is Status.TODO
    assert browser.model.rowCount() == 0
    assert window.page.pair.item_id == items[0].id  # served again at once


def test_history_survives_a_restart(window_factory, tmp_path: Path) -> None:
    project, items = _project(tmp_path)
    window = window_factory(project)
    press(window, "a", "b")
    window.close()
    again = window_factory(project)
    assert again.page.pair.item_id == items[2].id
    press(again, "left")
    assert again.page.pair.item_id == items[1].id
    press(again, "left")
    assert again.page.pair.item_id == items[0].id


def test_bulk_accept_stores_a_review_for_each_sure_label(
    window_factory, tmp_path: Path, qtbot
) -> None:
    project, items = _project(tmp_path)
    window = window_factory(project)
    browser = _browser(window, qtbot)
    browser.show_list("to_review")
    _settle(browser, qtbot)
    assert browser.model.record(0).model_confidence == 0.95  # the surest first
    assert browser.accept_button.isEnabled()
    browser.threshold.setValue(90)
    browser.accept_button.click()
    box = window.findChild(QMessageBox, "bulk_accept_box")
    assert "Accept 1 model labels whose confidence is at least 90% (50% = chance)" in box.text()
    accept = next(b for b in box.buttons() if b.text() == "Accept 1")
    accept.click()
    qtbot.waitUntil(lambda: item_state(open_db(project), items[3].id)[0] is Status.DONE)
    db = open_db(project)
    (review,) = live_labels(db, items[3].id)
    assert (review.action, review.source, review.annotator) == (Action.ACCEPT, Source.HUMAN, "ana")
    assert review.rationale == "accepted in bulk: model confidence 95% (threshold 90%)"
    assert item_state(db, items[4].id)[0] is Status.TODO  # 70%: left for a person


def test_bulk_accept_offers_the_judge_verdicts_that_state_no_confidence(
    window_factory, tmp_path: Path, qtbot
) -> None:
    db = routed_demo(tmp_path / "demo.db")
    waiting = review_candidates(db, 0.5).unrated
    db.conn.close()
    window = window_factory(tmp_path / "demo.db")
    browser = _browser(window, qtbot)  # every record listed, no filter set
    assert browser.accept_button.isEnabled()  # items wait for review: bulk accept is offered
    assert "waiting for review" in browser.accept_button.toolTip()
    browser.threshold.setValue(50)
    browser.accept_button.click()
    box = window.findChild(QMessageBox, "bulk_accept_box")
    assert "Accept 0 model labels whose confidence is at least 50%" in box.text()
    assert f"of {len(waiting)} items waiting for review" in box.text()
    tick = box.checkBox()
    assert tick.text() == (
        f"Also accept the {len(waiting)} labels that carry no confidence (judge verdicts)"
    )
    accept = next(b for b in box.buttons() if b.text().startswith("Accept"))
    assert (accept.text(), accept.isEnabled()) == ("Accept 0", False)
    tick.setChecked(True)
    assert (accept.text(), accept.isEnabled()) == (f"Accept {len(waiting)}", True)
    accept.click()
    qtbot.waitUntil(lambda: review_candidates(open_db(tmp_path / "demo.db"), 0.5).waiting == 0)
    reviews = (
        open_db(tmp_path / "demo.db")
        .conn.execute(
            "SELECT count(*) FROM labels WHERE annotator = 'ana' AND action = 'accept' "
            "AND rationale LIKE '%states no confidence'"
        )
        .fetchone()[0]
    )
    assert reviews == len(waiting)
    qtbot.waitUntil(lambda: not browser.accept_button.isEnabled())  # none waits any more

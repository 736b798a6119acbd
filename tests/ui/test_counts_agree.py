"""The sidebar, the routing panel's budget line and the record browser count the same items,
and the budget line says why its number is not the sidebar's: on the demo routed with its
judge (listwise items routing never sends, items labelled by the model, people's ties)."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import press

from labeler.store.browse import RecordFilter, record_seqs, routable_items
from labeler.types import Route, Status
from tests.core.test_bulk_review import routed_demo
from ui.browser.record_browser import RecordBrowser


def _count(db, **where) -> int:  # type: ignore[no-untyped-def]
    return len(record_seqs(db, RecordFilter(**where)))


def test_sidebar_budget_line_and_browser_agree(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    db = routed_demo(tmp_path / "demo.db")
    ties = db.conn.execute(
        "SELECT count(*) FROM labels WHERE source != 'model' AND value LIKE '%tie%'"
    ).fetchone()[0]
    assert ties > 0
    routable = routable_items(db)
    to_label = _count(db, status=Status.TODO, route=Route.HUMAN)
    to_review = _count(db, status=Status.TODO, route=Route.REVIEW)
    done = _count(db, status=Status.DONE)
    by_model = _count(db, status=Status.DONE, route=Route.MODEL)
    db.conn.close()
    assert routable.listwise == 40  # the demo's Arena-Hard prompts, none labelled yet
    assert by_model == routable.by_model > 0
    # what routing can send, plus what it never sends, is what waits for a person or is the
    # model's: the sidebar's To label and To review, and Done's "by the model"
    assert routable.items + routable.listwise == to_label + to_review + by_model

    window = window_factory(tmp_path / "demo.db")
    qtbot.waitUntil(lambda: "–" not in window.queues.item(0).text())
    queues = [window.queues.item(row).text() for row in range(3)]
    assert queues == [
        f"To label: {to_label:,}",
        f"To review: {to_review:,}",
        f"Done: {done:,} ({by_model:,} by the model)",
    ]
    panel = window.panels.routing
    panel.budget_chooser.set_fraction(0.25)
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot.routable is not None)
    share = round(0.25 * routable.items)
    assert panel.budget_label.text() == (
        f"25% · about {share:,} to people, of {routable.items:,} pairs no person has labelled "
        f"({by_model:,} by the model; 40 listwise items always go to people)"
    )
    assert "unlabelled" not in panel.budget_label.text()
    press(window, "ctrl+b")
    browser = window.findChild(RecordBrowser)
    browser.status.setCurrentText(Status.DONE.value)
    browser.route.setCurrentText(Route.MODEL.value)
    qtbot.waitUntil(lambda: not browser.model.loading)
    assert browser.model.rowCount() == by_model
    browser.show_list("to_review")
    qtbot.waitUntil(lambda: not browser.model.loading)
    assert browser.model.rowCount() == to_review

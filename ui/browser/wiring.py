"""The record browser in the window: opened from the menu or the sidebar's lists; its intents
become store writes on the GUI connection (guarded like every decision) or a relabel."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QMessageBox

from labeler.bulk_review import accept_model_labels, review_candidates
from labeler.store.browse import record_annotators, serve_skipped_again
from labeler.store.routes import route_counts
from labeler.types import Label, Route, Status
from ui.browser.record_browser import RecordBrowser
from ui.browser.records_model import RecordsModel, SeqQuery
from ui.workers import one_shot

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def open_browser(window: MainWindow, list_name: str = "all") -> RecordBrowser | None:
    """Show the record browser (one per window) on one of its lists."""
    db = window.controller.db
    if db is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return None
    browser = window.findChild(RecordBrowser)
    if browser is None:
        browser = RecordBrowser(RecordsModel(db, partial(_query, window)), window)
        browser.item_opened.connect(partial(_open_item, window))
        browser.serve_skipped_requested.connect(partial(_serve_skipped, window))
        browser.bulk_accept_requested.connect(partial(confirm_bulk_accept, window))
        window.controller.counts_changed.connect(partial(_refresh, window, browser))
    browser.model.db = db
    browser.set_annotators(record_annotators(db))
    browser.set_waiting(route_counts(db).get(Route.REVIEW, Status.TODO))
    browser.show_list(list_name)
    browser.show()
    browser.raise_()
    return browser


def _query(window: MainWindow, query: SeqQuery, done: Callable[[list[int]], None]) -> None:
    """Filter and sort on the window's read connection, in a worker."""
    reader = window.controller.reader
    if reader is None:
        return
    job = one_shot(lambda: reader.run(query))
    window.jobs.start("records", job, done, lambda exc: window.statusBar().showMessage(
        f"Could not list the records: {exc}", 8000), quiet=True)  # fmt: skip


def _refresh(window: MainWindow, browser: RecordBrowser, _counts: object = None) -> None:
    """Labels changed: list the records anew (only while the browser is open)."""
    db = window.controller.db
    if browser.isVisible():
        browser.model.set_db(db)
        browser.set_waiting(0 if db is None else route_counts(db).get(Route.REVIEW, Status.TODO))


def _changed(window: MainWindow) -> None:
    """After a write from the browser: the queue and the listed records follow it."""
    window.controller.queue_changed_elsewhere()
    browser = window.findChild(RecordBrowser)
    if browser is not None:
        _refresh(window, browser)


def _open_item(window: MainWindow, item_id: str) -> None:
    window.controller.open_item(item_id)
    window.activateWindow()  # the labelling keys work in the window


def _serve_skipped(window: MainWindow, seqs: list[int] | None) -> None:
    db = window.controller.db
    if db is None:
        return

    def done(n: int) -> None:
        window.statusBar().showMessage(f"{n:,} skipped items are back in their queues.", 6000)
        _changed(window)

    window.controller.writes.attempt(lambda: serve_skipped_again(db, seqs), done)


def confirm_bulk_accept(window: MainWindow, threshold: float) -> QMessageBox | None:
    """Ask before accepting every waiting review item's model label at or above ``threshold``;
    labels that state no confidence (judge verdicts) only when the reviewer ticks them too."""
    db, reviewer = window.controller.db, window.controller.annotator
    if db is None:
        return None
    if not reviewer:
        window.statusBar().showMessage("Enter your name in the sidebar to review.", 6000)
        return None
    found = review_candidates(db, threshold)
    box = QMessageBox(window)
    box.setObjectName("bulk_accept_box")
    box.setWindowTitle("Accept model labels")
    if not found.sure and not found.unrated:
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            f"No review item has a model label at or above {threshold:.0%} confidence."
            if found.waiting
            else "No item is waiting for review."
        )
        box.open()
        return box
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(
        f"Accept {len(found.sure):,} model labels whose confidence is at least {threshold:.0%} "
        f"(50% = chance), of {found.waiting:,} items waiting for review?\n\n"
        "Each is stored as your review (accepted, with the threshold noted). "
        "Any of them can be opened in the record browser and relabelled later."
    )
    yes = box.addButton("", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    tick = None
    if found.unrated:
        tick = QCheckBox(
            f"Also accept the {len(found.unrated):,} labels that carry no confidence "
            "(judge verdicts)", box)  # fmt: skip
        tick.setObjectName("accept_unrated")
        box.setCheckBox(tick)

    def chosen() -> list[str]:
        return found.sure + (found.unrated if tick is not None and tick.isChecked() else [])

    def relabel() -> None:
        yes.setText(f"Accept {len(chosen()):,}")
        yes.setEnabled(bool(chosen()))

    relabel()
    if tick is not None:
        tick.toggled.connect(relabel)

    def answered() -> None:
        if box.clickedButton() is not yes:
            return
        ids, unrated = chosen(), tick is not None and tick.isChecked()

        def done(labels: list[Label]) -> None:
            window.statusBar().showMessage(f"Accepted {len(labels):,} model labels.", 8000)
            _changed(window)

        window.controller.writes.attempt(
            lambda: accept_model_labels(db, ids, reviewer, threshold, unrated), done
        )

    box.finished.connect(answered)
    box.open()
    return box

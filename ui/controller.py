"""The one place where the labelling views meet ``labeler.session``, the store and the workers.

Views emit intents in shown terms; the controller hands them to the session (which maps them to
stored order and writes the label) and shows the next item. Queue counts are a big query at a
million items, so they run on a worker with its own read connection, debounced.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils
from PySide6.QtCore import QObject, Signal

from labeler.importers.images import project_image_folders
from labeler.session import IncompleteRankingError, LabelingSession, ShownItem
from labeler.store.items import count_items
from labeler.types import PairChoice, Route
from ui.project_link import CountsRefresher, GuardedWrites, SharedReader, open_for_gui
from ui.view_options import ViewOptions, next_zoom
from ui.views.item_page import ItemPage
from ui.workers import JobRunner

EMPTY_PROJECT = "This project has no items yet. Import data (Ctrl+I), or drop a data file here."
PAIR_KEYS = {
    "left": ("a", 1),
    "right": ("b", 1),
    "left_much": ("a", 2),
    "right_much": ("b", 2),
    "tie": ("tie", None),
    "both_bad": ("both_bad", None),
    "rank_1": ("a", 1),
    "rank_2": ("b", 1),
}


class Controller(QObject):
    counts_changed = Signal(object)
    message = Signal(str)
    rationale_requested = Signal(str)
    item_shown = Signal(object)
    problem = Signal(str)

    def __init__(self, page: ItemPage, jobs: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.jobs = jobs
        self.db: sqlite_utils.Database | None = None
        self.path: Path | None = None
        self.session: LabelingSession | None = None
        self.reader: SharedReader | None = None
        self.writes = GuardedWrites(self)
        self.writes.message.connect(self.message)
        self.writes.failed.connect(self.problem)
        self.annotator = ""
        self.queue = Route.HUMAN
        self.seed = 0
        self.options = ViewOptions()
        self.rationale = ""
        self.counts = CountsRefresher(jobs, self)
        self.counts.counted.connect(self.counts_changed)
        self.counts.failed.connect(lambda exc: self.message.emit(f"Error: {exc}"))
        page.pair.choice_made.connect(self._on_choice_made)
        page.pair.aspects_made.connect(self._on_aspects_made)
        page.rank.ranking_made.connect(self._on_ranking_made)
        page.banner.accepted.connect(self._on_accepted)

    # ---- project and session -------------------------------------------------------------
    def open_project(self, path: Path, create: bool = False) -> None:
        db = open_for_gui(path, create)
        self.close_project()
        self.db, self.path = db, path
        self.reader, self.writes.path = SharedReader(path), path
        self.page.set_image_folders(project_image_folders(db, path))
        self._new_session()
        self.refresh_counts()

    def close_project(self) -> None:
        self.writes.cancel()
        if self.reader is not None:
            self.reader.close()
        if self.db is not None:
            self.db.conn.close()
        self.db = self.path = self.session = self.reader = None
        self.page.show_empty("Open or create a project to start (Ctrl+O / Ctrl+N).")

    def set_annotator(self, name: str) -> None:
        self.annotator = name.strip()
        self._new_session()

    def set_queue(self, queue: Route) -> None:
        self.queue = queue
        self._new_session()
        self.refresh_counts()  # the progress line follows the queue

    def _new_session(self) -> None:
        self.writes.cancel()
        self.session = None
        self.rationale = ""
        if self.db is None:
            return
        if not self.annotator:
            self.page.show_empty("Enter your name in the sidebar to start labelling.")
            return
        self.session = LabelingSession(self.db, self.annotator, self.queue, self.seed)
        self.show_current()

    def queue_changed_elsewhere(self) -> None:
        """After an import or a routing run: pick up new items and recount."""
        if self.db is not None:  # an import may have allowed another image folder
            self.page.set_image_folders(project_image_folders(self.db, self.path))
        if self.session is not None:
            self.session.refresh()
            self.show_current()
        self.refresh_counts()

    # ---- showing -------------------------------------------------------------------------
    def show_current(self) -> None:
        shown = self.session.current if self.session is not None else None
        if shown is None:
            if self.session is not None:
                name = "to review" if self.queue is Route.REVIEW else "to label"
                empty = self.db is not None and count_items(self.db) == 0
                self.page.show_empty(
                    EMPTY_PROJECT if empty else f"Nothing left {name}. Well done!"
                )
            self.item_shown.emit(None)
            return
        self.page.show_item(
            shown,
            self.session.schema,  # type: ignore[union-attr]
            self._status_text(shown),
            reviewing=self.queue is Route.REVIEW,
            suggestions=self.options.suggestions,
        )
        self.item_shown.emit(shown)

    def _status_text(self, shown: ShownItem) -> str:
        assert self.session is not None
        parts = []
        if shown.history_index is not None:
            parts.append(f"history {shown.history_index + 1}/{len(self.session.history)}")
            parts.append(f"status: {shown.status.value}")
            if shown.my_labels:
                parts.append("relabelling (your label is highlighted)")
        else:
            parts.append(f"decided this session: {self.session.decided_now}")
        if shown.flagged:
            parts.append("⚑ flagged")
        if self.rationale:
            parts.append("rationale written")
        return "   ·   ".join(parts)

    def open_item(self, item_id: str) -> None:
        """Show an item picked in the record browser, to view or relabel it."""
        if self.session is not None:
            self.session.visit(item_id)
            self.show_current()

    # ---- counts (worker) -----------------------------------------------------------------
    def refresh_counts(self) -> None:
        self.counts.refresh(self.reader)

    # ---- intents from views --------------------------------------------------------------
    def _current_id(self) -> str | None:
        shown = self.session.current if self.session is not None else None
        return None if shown is None else shown.item.id

    def _decided(self, _result: object = None) -> None:
        self.rationale = ""
        self.show_current()
        self.refresh_counts()

    def _decide(self, item_id: str, write: Callable[[LabelingSession], Any]) -> None:
        """Save a decision on the shown item; it stays on screen until it is saved."""
        session = self.session
        if session is None or item_id != self._current_id():
            return  # stale intent for an item no longer shown
        self.writes.attempt(lambda: write(session), self._decided)

    def _on_choice_made(self, item_id: str, choice: str, strength: int | None) -> None:
        rationale = self.rationale or None
        self._decide(item_id, lambda s: s.submit_pairwise(PairChoice(choice), strength, rationale))

    def _on_aspects_made(self, item_id: str, aspects: dict) -> None:
        rationale = self.rationale or None
        self._decide(item_id, lambda s: s.submit_aspects(aspects, rationale))

    def _on_ranking_made(self, item_id: str, ranks: list, thumbs: list, ratings: list) -> None:
        rationale = self.rationale or None
        try:
            self._decide(item_id, lambda s: s.submit_ranking(ranks, thumbs, ratings, rationale))
        except IncompleteRankingError as exc:
            self.message.emit(str(exc).capitalize())

    def _on_accepted(self, item_id: str) -> None:
        rationale = self.rationale or None
        self._decide(item_id, lambda s: s.accept(rationale))

    def set_rationale(self, text: str) -> None:
        self.rationale = text.strip()
        shown = self.session.current if self.session is not None else None
        if shown is not None:
            self.page.set_status(self._status_text(shown))

    # ---- keyboard actions ----------------------------------------------------------------
    def handle(self, action_id: str) -> bool:
        """Run a labelling action; returns False when it does not apply here."""
        active = self.page.active
        if action_id in PAIR_KEYS and active == "pair":
            self.page.pair.choose(*PAIR_KEYS[action_id])
        elif action_id.startswith("rank_") and active == "rank":
            self.page.rank.set_rank(int(action_id.removeprefix("rank_")))
        elif action_id.startswith("rate_") and active == "rank":
            self.page.rank.set_rating(int(action_id.removeprefix("rate_")))
        elif action_id in ("select_prev", "select_next") and active == "rank":
            self.page.rank.select(-1 if action_id == "select_prev" else 1)
        elif action_id in ("thumb_up", "thumb_down") and active == "rank":
            self.page.rank.toggle_thumb(action_id == "thumb_up")
        elif action_id == "clear_ranks" and active == "rank":
            self.page.rank.clear()
        elif action_id == "accept":
            self._enter()
        elif action_id in ("skip", "flag", "undo", "back", "forward"):
            self._item_action(action_id)
        elif action_id == "rationale" and active != "empty":
            self.rationale_requested.emit(self.rationale)
        elif action_id == "diff":
            self.options.diff = not self.options.diff
            self.page.pair.set_diff(self.options.diff)
        elif action_id == "suggestions":
            self.options.suggestions = not self.options.suggestions
            shown = self.session.current if self.session is not None else None
            if shown is not None:
                self.page.show_banner(shown, self.queue is Route.REVIEW, self.options.suggestions)
        elif action_id == "sync_scroll":
            sync = self.page.pair.scroll_sync
            sync.enabled = not sync.enabled
        elif action_id in ("zoom_in", "zoom_out", "zoom_reset"):
            self._zoom(action_id)
        else:
            return False
        return True

    def _enter(self) -> None:
        active = self.page.active
        if active == "pair" and self.page.pair.submit():
            return
        if active == "rank" and self.page.rank.submit():
            return
        self.page.banner.accept()

    def _item_action(self, action_id: str) -> None:
        session = self.session
        if session is None:
            return
        if action_id in ("back", "forward"):
            if action_id == "back":
                session.back()
            else:
                session.forward()
            self.show_current()
            return
        if action_id == "undo" and not session.can_undo:
            self.message.emit("Nothing to undo")
            return
        writes: dict[str, Callable[[], Any]] = {
            "skip": session.skip,
            "flag": session.toggle_flag,
            "undo": session.undo,
        }
        self.writes.attempt(writes[action_id], lambda result: self._acted(action_id, result))

    def _acted(self, action_id: str, result: object) -> None:
        if action_id == "flag":
            self.message.emit("Flagged" if result else "Flag removed")
        elif action_id == "undo":
            self.message.emit("Undone")
        self.show_current()
        self.refresh_counts()

    def _zoom(self, action_id: str) -> None:
        self.options.zoom = next_zoom(self.options.zoom, action_id)
        self.page.set_zoom(self.options.zoom)

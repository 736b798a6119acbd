"""The labelling loop without Qt: queue order, sides, timing, submit, skip, flag, undo, history.

A person sees responses in a shuffled order (``shown_order``: stored indices, left first) so
that position bias does not leak into the data; every value a view hands in is expressed in
*shown* positions and mapped back to stored response order here, in one place. Each decision is
an append-only label event carrying who, when, how long, the shown order and any rationale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from labeler.shown_order import shown_order_for, to_shown, to_stored
from labeler.store.browse import recent_decisions
from labeler.store.items import QueueCursor, get_item, item_state, next_item, set_flag, set_status
from labeler.store.labels import live_labels_by, model_label, record_labels
from labeler.store.meta import get_schema
from labeler.types import (
    Action,
    AspectsValue,
    BinaryValue,
    Item,
    Label,
    LabelSchema,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
    Response,
    Route,
    Source,
    Status,
)

if TYPE_CHECKING:
    import sqlite_utils

Clock = Callable[[], float]


class IncompleteRankingError(ValueError):
    """A ranking leaves out responses the project's schema requires."""


@dataclass(frozen=True, slots=True)
class ShownItem:
    """What a view needs to show one item: responses in shown order and the labels around it."""

    item: Item
    shown_order: tuple[int, ...]
    status: Status
    flagged: bool
    route: Route
    my_labels: tuple[Label, ...] = ()
    model_label: Label | None = None
    history_index: int | None = None

    @property
    def responses(self) -> tuple[Response, ...]:
        return tuple(self.item.responses[i] for i in self.shown_order)

    def shown_value(self, label: Label | None) -> LabelValue | None:
        """A stored label's value in shown positions (for showing a past or model label)."""
        return (
            None
            if label is None or label.value is None
            else to_shown(label.value, self.shown_order)
        )


@dataclass
class _Undo:
    kind: str  # "labels" | "skip" | "flag"
    item_id: str
    labels: list[Label] = field(default_factory=list)
    previous: object = None


class NothingToUndoError(LookupError):
    """Undo was asked for with no decision left in this session."""


class LabelingSession:
    """One person working through one queue of one project.

    ``queue`` is ``Route.HUMAN`` (items to label) or ``Route.REVIEW`` (model labels to check).
    ``clock`` is a monotonic clock in seconds, injectable so tests control time spent.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        annotator: str,
        queue: Route = Route.HUMAN,
        seed: int = 0,
        clock: Clock = time.monotonic,
    ) -> None:
        if not annotator.strip():
            raise ValueError("an annotator name is needed to label")
        self.db = db
        self.annotator = annotator.strip()
        self.queue = queue
        self.seed = seed
        self.schema: LabelSchema = get_schema(db)
        self._clock = clock
        self._cursor: QueueCursor | None = None
        # What this person decided before (kept across restarts), so Left goes back to it.
        self._history: list[str] = recent_decisions(db, self.annotator)
        self._restored = len(self._history)
        self._pos = len(self._history)
        self._resume: int | None = None
        self._frontier: ShownItem | None = None
        self._shown_at = clock()
        self._undo: list[_Undo] = []
        self._advance_frontier()

    # ---- navigation ----------------------------------------------------------------------
    @property
    def current(self) -> ShownItem | None:
        """The item on screen: a history entry while going back, else the queue's next item."""
        if self._pos < len(self._history):
            return self._load(self._history[self._pos], self._pos)
        return self._frontier

    @property
    def history(self) -> tuple[str, ...]:
        return tuple(self._history)

    @property
    def decided_now(self) -> int:
        """Decisions made since this session started (the history also holds earlier ones)."""
        return max(0, len(self._history) - self._restored)

    def visit(self, item_id: str) -> ShownItem | None:
        """Show any item (picked in the record browser) to view or relabel; after a decision
        on it the session goes on with what was on screen before."""
        if item_id in self._history:
            self._resume, self._pos = self._pos, self._history.index(item_id)
        else:
            self._resume = None  # inserted here: what was on screen comes right after it
            self._history.insert(self._pos, item_id)
        self._restart_timer()
        return self.current

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def back(self) -> ShownItem | None:
        """Step back through the items decided in this session (Left)."""
        if self._pos > 0:
            self._pos -= 1
            self._restart_timer()
        return self.current

    def forward(self) -> ShownItem | None:
        """Step forward again, up to the queue's next item (Right)."""
        if self._pos < len(self._history):
            self._pos += 1
            self._restart_timer()
        return self.current

    def _restart_timer(self) -> None:
        self._shown_at = self._clock()

    def _load(
        self, item_id: str, history_index: int | None = None, item: Item | None = None
    ) -> ShownItem:
        item = item if item is not None else get_item(self.db, item_id)
        status, flagged, route = item_state(self.db, item_id)
        return ShownItem(
            item=item,
            shown_order=shown_order_for(item.id, len(item.responses), self.seed),
            status=status,
            flagged=flagged,
            route=route,
            my_labels=tuple(live_labels_by(self.db, item_id, self.annotator)),
            model_label=model_label(self.db, item_id),
            history_index=history_index,
        )

    def _advance_frontier(self) -> None:
        found = next_item(self.db, self.queue, Status.TODO, after=self._cursor)
        if found is None and self._cursor is not None:
            # Items can re-enter the queue behind the cursor (undo elsewhere, re-routing).
            found = next_item(self.db, self.queue, Status.TODO)
        if found is None:
            self._frontier = None
        else:
            item, self._cursor = found
            self._frontier = self._load(item.id, item=item)
        self._restart_timer()

    def _after_decision(self, item_id: str) -> None:
        if self._pos < len(self._history):
            # relabelled a past item: back to where the person was, else on through history
            self._pos = self._pos + 1 if self._resume is None else self._resume
            self._resume = None
            self._restart_timer()
            return
        self._history.append(item_id)
        self._pos = len(self._history)
        self._advance_frontier()

    def refresh(self) -> ShownItem | None:
        """Re-read the frontier (after an import or routing changed the queue)."""
        if self._frontier is None or self._frontier.item.id not in self._history:
            self._cursor = None
            self._advance_frontier()
        return self.current

    # ---- decisions -----------------------------------------------------------------------
    def _elapsed_ms(self) -> int:
        return max(0, round((self._clock() - self._shown_at) * 1000))

    def submit(self, values: Sequence[LabelValue], rationale: str | None = None) -> list[Label]:
        """Record one decision (one or more values, each in SHOWN positions) and move on.

        In the review queue the first value is an override of the model label (or an accept,
        when it equals the model's value). A relabel supersedes the annotator's previous label
        of the same kind on the item.
        """
        shown = self.current
        if shown is None:
            raise LookupError("the queue is empty")
        if not values:
            raise ValueError("nothing to submit")
        elapsed = self._elapsed_ms()
        mine = {lab.kind: lab for lab in shown.my_labels}
        review = shown.route is Route.REVIEW and shown.model_label is not None
        decision: list[Label] = []
        for n, shown_value in enumerate(values):
            value = to_stored(shown_value, shown.shown_order)
            previous = mine.get(value.kind)
            action = Action.LABEL
            supersedes = None if previous is None else previous.id
            if review and n == 0:
                assert shown.model_label is not None
                same = value == shown.model_label.value
                action = Action.ACCEPT if same else Action.OVERRIDE
                if previous is None:
                    supersedes = shown.model_label.id
            decision.append(
                Label(
                    item_id=shown.item.id,
                    value=value,
                    source=Source.HUMAN,
                    annotator=self.annotator,
                    action=action,
                    shown_order=shown.shown_order,
                    time_ms=elapsed,
                    rationale=rationale or None,
                    supersedes=supersedes,
                )
            )
        recorded = record_labels(self.db, decision)  # one decision, one transaction
        self._undo.append(_Undo("labels", shown.item.id, recorded))
        self._after_decision(shown.item.id)
        return recorded

    def submit_pairwise(
        self, choice: PairChoice, strength: int | None = None, rationale: str | None = None
    ) -> list[Label]:
        """A / B here mean left / right as shown."""
        return self.submit([PairwiseValue(choice, strength)], rationale)

    def submit_ranking(
        self,
        ranks: Sequence[int | None],
        thumbs: Sequence[bool | None] | None = None,
        ratings: Sequence[int | None] | None = None,
        rationale: str | None = None,
    ) -> list[Label]:
        """Ranks (1 = best, ties share a rank) and optional thumbs / ratings, in shown order.

        A full-ranking project needs every response ranked; a top-k project at least k.
        """
        ranked = sum(r is not None for r in ranks)
        needed = len(ranks) if self.schema.top_k is None else min(self.schema.top_k, len(ranks))
        if ranked < needed:
            raise IncompleteRankingError(
                f"rank {needed - ranked} more response{'s' if needed - ranked > 1 else ''} "
                f"({'all' if self.schema.top_k is None else f'the top {needed}'} must be ranked)"
            )
        values: list[LabelValue] = [RankingValue(tuple(ranks))]
        if thumbs is not None and any(t is not None for t in thumbs):
            values.append(BinaryValue(tuple(thumbs)))
        if ratings is not None and any(r is not None for r in ratings):
            values.append(RatingValue(tuple(ratings), self.schema.rating_scale))
        return self.submit(values, rationale)

    def submit_aspects(self, aspects: dict[str, int], rationale: str | None = None) -> list[Label]:
        """-2 = left much better .. +2 = right much better, per aspect (``overall`` required)."""
        return self.submit([AspectsValue(dict(aspects))], rationale)

    def accept(self, rationale: str | None = None) -> list[Label]:
        """Accept the model's label on the current review item as the human label."""
        shown = self.current
        if shown is None or shown.model_label is None or shown.model_label.value is None:
            raise LookupError("no model label to accept")
        value = shown.shown_value(shown.model_label)
        assert value is not None
        return self.submit([value], rationale)

    def skip(self) -> None:
        """Leave the current item for later (it moves to the skipped queue)."""
        shown = self.current
        if shown is None:
            return
        if shown.history_index is not None and shown.status is not Status.TODO:
            self.forward()  # already decided: skipping a past item just moves on
            return
        set_status(self.db, shown.item.id, Status.SKIPPED)
        self._undo.append(_Undo("skip", shown.item.id, previous=shown.status))
        self._after_decision(shown.item.id)

    def toggle_flag(self) -> bool:
        """Flag or unflag the current item for attention; stays on it. Returns the new flag."""
        shown = self.current
        if shown is None:
            return False
        set_flag(self.db, shown.item.id, not shown.flagged)
        self._undo.append(_Undo("flag", shown.item.id, previous=shown.flagged))
        if self._frontier is not None and self._frontier.item.id == shown.item.id:
            self._frontier = replace(self._frontier, flagged=not shown.flagged)
        return not shown.flagged

    def undo(self) -> ShownItem | None:
        """Take back the last decision: retract its labels, un-skip or un-flag; show that item.

        Retraction is itself an append-only event, so the history keeps both.
        """
        if not self._undo:
            raise NothingToUndoError("nothing to undo")
        entry = self._undo.pop()
        if entry.kind == "labels":
            retractions = [
                Label(
                    item_id=entry.item_id,
                    value=None,
                    source=Source.HUMAN,
                    annotator=self.annotator,
                    action=Action.RETRACT,
                    supersedes=label.id,
                )
                for label in reversed(entry.labels)
            ]
            try:
                record_labels(self.db, retractions)
            except BaseException:
                self._undo.append(entry)  # not undone: it can be asked for again
                raise
        elif entry.kind == "skip":
            assert isinstance(entry.previous, Status)
            set_status(self.db, entry.item_id, entry.previous)
        else:
            set_flag(self.db, entry.item_id, bool(entry.previous))
            if self._frontier is not None and self._frontier.item.id == entry.item_id:
                self._frontier = self._load(entry.item_id)
            return self.current
        if entry.item_id in self._history:
            self._history.reverse()
            self._history.remove(entry.item_id)
            self._history.reverse()
        self._pos = len(self._history)
        self._cursor = None
        self._frontier = self._load(entry.item_id)
        self._restart_timer()
        return self.current

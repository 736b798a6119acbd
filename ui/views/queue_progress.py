"""Progress through the queue being labelled: item k of n, a bar, the rate and the time left.

Fed from the routing snapshot (``ui.jobs.routing_snapshot``), which counts items per route and
status and measures the labelling rate off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from labeler.agreement import time_left_hours
from labeler.store.routes import RouteCounts
from labeler.types import Route, Status
from ui.panels.formatting import DASH, duration, rate

QUEUE_NAMES = {Route.HUMAN: "to label", Route.REVIEW: "to review"}
SEPARATOR = "   ·   "


def progress_text(
    counts: RouteCounts, per_hour: float | None, queue: Route, timed: int | None = None
) -> tuple[str, int, int]:
    """The line and the bar's (value, maximum) for ``queue``; ``timed`` labels so far say
    when a rate will be shown, while there are too few for one."""
    done = counts.get(queue, Status.DONE)
    todo = counts.get(queue, Status.TODO)
    skipped = counts.get(queue, Status.SKIPPED)
    total = done + todo + skipped
    name = QUEUE_NAMES.get(queue, queue.value)
    if total == 0:
        return f"No items {name}", 0, 1
    if todo == 0:
        parts = [f"All {total:,} items {name} are done"]
    else:  # the count left matches the sidebar's queue count
        parts = [f"Item {done + 1:,} of {total:,}", f"{todo:,} {name}"]
    if skipped:
        parts.append(f"{skipped:,} skipped")
    if per_hour is not None:
        parts.append(rate(per_hour))
        if todo:
            parts.append(f"about {duration(time_left_hours(todo, per_hour))} left")
    elif timed is not None and todo and rate(None, timed) != DASH:
        parts.append(rate(None, timed))
    return SEPARATOR.join(parts), done, total


class QueueProgress(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)  # a long line wraps rather than squeezing the side panels
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setMaximumWidth(240)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.bar)
        self.setVisible(False)

    def show_progress(
        self,
        counts: RouteCounts | None,
        per_hour: float | None,
        queue: Route,
        timed: int | None = None,
    ) -> None:
        if counts is None:
            self.setVisible(False)
            return
        text, value, maximum = progress_text(counts, per_hour, queue, timed)
        # wrap between the parts only, never inside "about 19 min left"
        self.text.setText(SEPARATOR.join(p.replace(" ", "\u00a0") for p in text.split(SEPARATOR)))
        self.bar.setRange(0, maximum)
        self.bar.setValue(value)
        self.setVisible(True)

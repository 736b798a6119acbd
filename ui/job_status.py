"""What the status bar says about the jobs a person started: a progress bar with time left
while one runs (determinate from the start; busy only for a job that says it cannot count),
Cancel, "cancelled" once it stopped, and every control that starts a job greyed out
meanwhile, so nothing is started twice."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressBar, QPushButton, QStatusBar, QWidget

from labeler.eta import time_left
from ui.workers import JobRunner

MIN_SECONDS_FOR_ESTIMATE = 1.0  # before this, a rate is noise
TEXT_MARGIN = 8  # the bar's frame and padding either side of its text, in pixels


def time_left_text(done: int, total: int, elapsed_s: float) -> str:
    """ "40%, about 12 s left" once the rate can be told (``labeler.eta``); "40%" before."""
    share = done / total if total else 0.0
    left = time_left(elapsed_s, done, total) if elapsed_s >= MIN_SECONDS_FOR_ESTIMATE else None
    return f"{share:.0%}, {left}" if left else f"{share:.0%}"


class JobStatus(QObject):
    """Owns the status bar's job widgets; ``add_controls`` registers what starts a job."""

    def __init__(self, jobs: JobRunner, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.jobs = jobs
        self.bar = bar
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(320)  # the demo job's whole text at 1024 px
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: jobs.cancel())
        for widget in (self.progress, self.cancel_button):
            widget.setVisible(False)
            bar.addPermanentWidget(widget)
        self._controls: list[QWidget | QAction] = []
        self._name = ""
        self._since = time.monotonic()
        self._counting_since: float | None = None
        self._text: tuple[str, str] = ("", "")
        self.progress.installEventFilter(self)
        jobs.started.connect(self._started)
        jobs.progressed.connect(self._progressed)
        jobs.ended.connect(self._ended)
        jobs.cancelled.connect(self._cancelled)

    def add_controls(self, *controls: QWidget | QAction) -> None:
        self._controls.extend(controls)
        for control in controls:
            control.setEnabled(not self.jobs.shown_busy)

    def _set_controls(self, enabled: bool) -> None:
        for control in self._controls:
            control.setEnabled(enabled)

    def _started(self, name: str) -> None:
        self._name = name
        self._since = time.monotonic()
        self._counting_since = None
        self.progress.setRange(0, 1)  # an empty bar until the job's first count
        self.progress.setValue(0)
        self._show(name.capitalize(), "0%")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self._set_controls(False)

    def _progressed(self, name: str, done: int, total: int) -> None:
        if total <= 0:
            self.progress.setRange(0, 0)
            return
        now = time.monotonic()
        if self._counting_since is None:  # time left counts from the first counted step
            self._counting_since = now
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self._show(name.capitalize(), time_left_text(done, total, now - self._counting_since))

    def _show(self, name: str, numbers: str) -> None:
        """One line inside the bar: the numbers whole, the job's name elided before them if
        the bar is too narrow; the whole text in the tooltip."""
        self._text = (name, numbers)
        numbers = f": {numbers}"
        self.progress.setToolTip(name + numbers)
        width = self.progress.contentsRect().width() - 2 * TEXT_MARGIN
        metrics = self.progress.fontMetrics()
        room = max(0, width - metrics.horizontalAdvance(numbers))
        shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight, room)
        self.progress.setFormat(shown + numbers)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.progress and event.type() == QEvent.Type.Resize and any(self._text):
            self._show(*self._text)
        return False

    def _ended(self, name: str) -> None:
        if not self.jobs.shown_busy:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self._set_controls(True)

    def _cancelled(self, name: str) -> None:
        self.bar.showMessage(f"{name.capitalize()} cancelled.", 8000)

"""Steer the routing: strategy and human budget, where the items are, what the data is worth.

A view: ``show_snapshot`` puts numbers on screen, the buttons emit intents. Routing, scoring,
retraining and simulating run elsewhere (``ui.jobs`` in a worker); ``set_busy`` greys the
buttons while one of them runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labeler.agreement import time_left_hours
from labeler.routing.target import DEFAULT_CONFIDENCE
from labeler.store.routes import RouteCounts
from labeler.types import Route, Status
from ui.panels.budget_chooser import BudgetChooser
from ui.panels.curve_view import CurveView, Series
from ui.panels.formatting import DASH, count, duration, rate
from ui.panels.job_results import JobResults
from ui.panels.routing_snapshot import RoutingSnapshot
from ui.panels.routing_text import estimates_text, last_run_text
from ui.panels.target_spin import TargetSpin
from ui.plain import WrappedLabel

STRATEGIES = ("learned", "ensemble", "margin", "hyper", "random")
DEFAULT_AUDIT_PCT = 5


def _people_items(counts: RouteCounts) -> str:
    """Items left for people, split when review items are among them (the progress line
    counts only the items to label)."""
    to_label = counts.get(Route.HUMAN, Status.TODO)
    to_review = counts.get(Route.REVIEW, Status.TODO)
    if not to_review:
        return f"{to_label:,} items"
    return f"{to_label + to_review:,} items ({to_label:,} to label, {to_review:,} to review)"


class RoutingPanel(QWidget):
    """Intents: ``route_requested(strategy, budget_fraction, audit_fraction)``,
    ``hours_requested(strategy, hours, audit_fraction)``, ``target_requested(strategy,
    accuracy, confidence)`` (route to a quality target instead of the budget),
    ``pace_wanted`` (hours were chosen: measure the pace), ``score_requested``,
    ``retrain_requested``, ``simulation_requested``."""

    route_requested = Signal(str, float, float)
    hours_requested = Signal(str, float, float)
    pace_wanted = Signal()
    target_requested = Signal(str, float, float)
    score_requested = Signal()
    retrain_requested = Signal()
    simulation_requested = Signal()

    def __init__(
        self, strategies: Sequence[str] = STRATEGIES, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._snapshot = RoutingSnapshot()

        self.strategy_combo = QComboBox()
        self.strategy_combo.addItems(list(strategies))
        self.budget_chooser = BudgetChooser()
        self.budget_slider = self.budget_chooser.slider
        self.budget_label = self.budget_chooser.label
        self.audit_spin = QSpinBox()
        self.audit_spin.setRange(0, 50)
        self.audit_spin.setSuffix("% of the model's items")
        self.audit_spin.setValue(DEFAULT_AUDIT_PCT)
        self.audit_spin.setAccessibleName("Audit share")
        self.audit_spin.setToolTip(
            "A random share of the items the model labels goes to review, so people check "
            "it and the finished data set's accuracy can be estimated"
        )
        self.target_spin = TargetSpin()
        self.target_spin.setAccessibleName("Target accuracy")
        self.target_spin.setToolTip(
            "Send the fewest items to people so the finished set is at least this accurate, "
            f"with {DEFAULT_CONFIDENCE:.0%} confidence, judged on the reviewed random audit. "
            "You see the trade-off before anything is routed."
        )
        self.route_button = QPushButton("&Route items")
        self.route_button.clicked.connect(self._on_route_clicked)
        self.budget_chooser.changed.connect(self._budget_changed)
        self.budget_chooser.hours_chosen.connect(self.pace_wanted)

        settings = QFormLayout()
        settings.addRow("Strategy", self.strategy_combo)
        settings.addRow("Human budget", self.budget_chooser)
        settings.addRow("Audit", self.audit_spin)
        settings.addRow("Target accuracy", self.target_spin)
        settings.addRow("", self.route_button)
        self.last_run_label = WrappedLabel()
        self.last_run_label.setTextFormat(Qt.TextFormat.PlainText)  # names from the data
        self.last_run_label.setText(DASH)
        settings.addRow("Last run", self.last_run_label)

        self.count_labels: dict[str, QLabel] = {}
        counts_box = QGroupBox("Items per route")
        grid = QGridLayout(counts_box)
        for col, heading in enumerate(("", "waiting", "done")):
            grid.addWidget(QLabel(f"<i>{heading}</i>"), 0, col)
        for row, (route, name) in enumerate(
            ((Route.HUMAN, "Human"), (Route.REVIEW, "Review"), (Route.MODEL, "Model")), start=1
        ):
            grid.addWidget(QLabel(name), row, 0)
            for col, status in enumerate((Status.TODO, Status.DONE), start=1):
                label = QLabel(DASH)
                label.setAlignment(Qt.AlignmentFlag.AlignRight)
                self.count_labels[f"{route.value}/{status.value}"] = label
                grid.addWidget(label, row, col)
        self.flagged_label = QLabel(DASH)
        grid.addWidget(QLabel("Flagged"), 4, 0)
        grid.addWidget(self.flagged_label, 4, 1, alignment=Qt.AlignmentFlag.AlignRight)

        quality = QFormLayout()
        self.accuracy_label = WrappedLabel(DASH)
        self.rate_label = WrappedLabel(DASH)  # "rate after 10 labels" must not widen the panel
        self.time_left_label = WrappedLabel(DASH)
        quality.addRow("Estimated accuracy", self.accuracy_label)
        quality.addRow("Labelling rate", self.rate_label)
        quality.addRow("Time left", self.time_left_label)

        self.curve = CurveView()
        self.simulate_button = QPushButton("Si&mulate strategies")
        self.score_button = QPushButton("&Score with model")
        self.retrain_button = QPushButton("&Train model")
        self.retrain_button.setToolTip(
            "Train the default reward model on the labels people made so far (again after more "
            "labels)"
        )
        self.simulate_button.clicked.connect(self.simulation_requested)
        self.score_button.clicked.connect(self.score_requested)
        self.retrain_button.clicked.connect(self.retrain_requested)
        jobs = QGridLayout()  # two columns: the panel stays narrow on a small screen
        for n, button in enumerate((self.retrain_button, self.score_button, self.simulate_button)):
            jobs.addWidget(button, n // 2, n % 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel("<b>Routing</b>"))
        layout.addLayout(settings)
        layout.addWidget(counts_box)
        layout.addLayout(quality)
        layout.addWidget(self.curve, 1)
        layout.addLayout(jobs)
        self.results = JobResults()
        layout.addWidget(self.results)
        self._budget_changed()

    # ---- in ------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: RoutingSnapshot) -> None:
        # Follow the last run's settings only when a new run happened, so a periodic refresh
        # never undoes what the user is choosing on the slider.
        new_run = (snapshot.strategy, snapshot.budget, snapshot.planned_hours) != (
            self._snapshot.strategy,
            self._snapshot.budget,
            self._snapshot.planned_hours,
        )
        self._snapshot = snapshot
        counts = snapshot.counts
        for key, label in self.count_labels.items():
            route, status = key.split("/")
            label.setText(count(counts.get(Route(route), Status(status))) if counts else DASH)
        self.flagged_label.setText(count(counts.flagged) if counts else DASH)
        if snapshot.strategy is not None:
            self.last_run_label.setText(last_run_text(snapshot))
            index = self.strategy_combo.findText(snapshot.strategy)
            if new_run and index >= 0:
                self.strategy_combo.setCurrentIndex(index)
            if new_run and snapshot.budget is not None:
                self.budget_chooser.set_fraction(snapshot.budget)
            elif new_run and snapshot.planned_hours is not None:
                self.budget_chooser.set_hours(snapshot.planned_hours)
        else:
            self.last_run_label.setText("not routed yet: every item goes to people")
        self.accuracy_label.setText(estimates_text(snapshot))
        self.rate_label.setText(rate(snapshot.labels_per_hour, snapshot.timed_labels))
        remaining = counts.human_remaining if counts else None
        if remaining is None or counts is None:
            self.time_left_label.setText(DASH)
        elif remaining == 0:
            self.time_left_label.setText("nothing left for people")
        else:
            items = _people_items(counts)
            if snapshot.labels_per_hour is None:
                self.time_left_label.setText(f"{items}; the time once the rate is known")
            else:
                hours = time_left_hours(remaining, snapshot.labels_per_hour)
                self.time_left_label.setText(f"{duration(hours)} for {items}")
        self.budget_chooser.show_numbers(snapshot.routable, snapshot.hours)

    def show_curve(self, series: Series) -> None:
        self.curve.set_series(series)

    def show_curve_image(self, path: Path) -> bool:
        return self.curve.set_image(path)

    def set_busy(self, busy: bool) -> None:
        """Grey out the job buttons while a routing, scoring or training job runs."""
        for button in (
            self.route_button,
            self.score_button,
            self.retrain_button,
            self.simulate_button,
        ):
            button.setEnabled(not busy)

    # ---- state ---------------------------------------------------------------------------

    @property
    def snapshot(self) -> RoutingSnapshot:
        """What the panel shows now."""
        return self._snapshot

    @property
    def budget(self) -> float:
        """The human budget chosen on the slider, as a fraction of the items."""
        return self.budget_chooser.fraction

    @property
    def wants_pace(self) -> bool:
        """A budget in hours is chosen: refreshes measure the pace it is turned into items by."""
        return self.budget_chooser.in_hours

    @property
    def audit(self) -> float:
        """The share of the model's items sent to review, as a fraction."""
        return self.audit_spin.value() / 100

    @property
    def strategy(self) -> str:
        return self.strategy_combo.currentText()

    # ---- internals -----------------------------------------------------------------------

    def _on_route_clicked(self) -> None:
        target = self.target_spin.target
        if target is not None:
            self.target_requested.emit(self.strategy, target, DEFAULT_CONFIDENCE)
        elif self.budget_chooser.in_hours:
            self.hours_requested.emit(self.strategy, self.budget_chooser.hours, self.audit)
        else:
            self.route_requested.emit(self.strategy, self.budget, self.audit)

    def _budget_changed(self) -> None:
        self.curve.set_marker(None if self.budget_chooser.in_hours else self.budget)

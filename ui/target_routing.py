"""Routing to a quality target: the plan is computed and shown first, and items are routed
only once the person confirms it.

The trade-off shown is the one ``labeler.workflows.routing.plan_lines`` writes everywhere;
the preview and the routing both run the same workflow in a worker (the first with
``preview``, which writes nothing).
"""

from __future__ import annotations

from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from labeler.workflows.routing import plan_lines
from ui import jobs, panel_wiring

if TYPE_CHECKING:
    from ui.main_window import MainWindow

TITLE = "Route to a quality target"


def confirm_target(window: MainWindow, strategy: str, target: float, confidence: float) -> None:
    """Preview the plan for ``target``; a box shows its trade-off and routes on confirm."""
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return
    options = {"target_accuracy": target, "confidence": confidence}

    def previewed(report: Any) -> None:
        box = plan_box(window, report)
        route = partial(_route, window, strategy, options)
        box.buttonClicked.connect(
            lambda button: box.buttonRole(button) == QMessageBox.ButtonRole.AcceptRole and route()
        )
        box.open()

    job = partial(jobs.route_job, path, strategy, 0.0, preview=True, **options)
    panel_wiring._start(window, "Planning", job, previewed)


def plan_box(window: MainWindow, report: Any) -> QMessageBox:
    """The plan's trade-off and the number of items for people; Route or Cancel."""
    plan = report.plan
    items = plan.n_items - plan.audited
    box = QMessageBox(QMessageBox.Icon.Question, TITLE, "", parent=window)
    lines = plan_lines(plan, report.labels_per_hour)
    table = [line for line in lines if line.startswith("  ")]  # columns: kept unwrapped
    words = [f"<p>{escape(line)}</p>" for line in lines if not line.startswith("  ")]
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(
        f"<p>Send {report.human:,} of {items:,} items to people? The other {report.model:,} "
        f"keep their AI labels.</p>{words[0]}<pre>{escape(chr(10).join(table))}</pre>"
        + "".join(words[1:])
    )
    label = f"Route {report.human:,} items to people"
    route = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(route)
    return box


def _route(window: MainWindow, strategy: str, options: dict[str, Any]) -> None:
    path = window.controller.path
    if path is None:
        return

    def done(report: Any) -> None:
        window.statusBar().showMessage(
            f"Routed for {round(100 * options['target_accuracy'], 1):g}% accuracy: "
            f"{report.human:,} items to "
            f"people, {report.model:,} keep their AI labels.",
            15000,
        )
        window.controller.queue_changed_elsewhere()
        panel_wiring.refresh_agreement(window)

    job = partial(jobs.route_job, path, strategy, 0.0, **options)
    panel_wiring._start(window, "Routing", job, done)

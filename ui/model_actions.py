"""The Model menu: judge verdicts, training, scoring, routing and its simulation, run from the
window through the same workflows as everywhere else; and which controls start a job (greyed
out while one runs)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDockWidget

from ui import dialog_wiring, jobs, panel_wiring
from ui.dialogs.judge_dialog import JudgeDialog

if TYPE_CHECKING:
    from ui.main_window import MainWindow

JOB_ACTIONS = ("import_files", "import_judge", "train", "score", "route", "simulate", "export")


def handle(window: MainWindow, action_id: str) -> bool:
    """Run a Model menu action; False if ``action_id`` is not one."""
    runs = {
        "import_judge": lambda: open_judge(window),
        "train": lambda: panel_wiring._run_job(window, jobs.retrain_job, "Training"),
        "score": lambda: panel_wiring._run_job(window, jobs.score_job, "Scoring"),
        "route": lambda: show_routing(window),
        "simulate": lambda: panel_wiring.run_simulation(window),
    }
    if action_id not in runs:
        return False
    runs[action_id]()
    return True


def register_job_controls(window: MainWindow) -> None:
    """Grey out every action and button that starts a job while one runs."""
    actions = [window.actions_by_id[a] for a in JOB_ACTIONS if a in window.actions_by_id]
    window.job_status.add_controls(*actions)
    routing = window.panels.routing
    window.job_status.add_controls(
        routing.route_button, routing.score_button, routing.retrain_button,
        routing.simulate_button,
    )  # fmt: skip


def show_routing(window: MainWindow) -> None:
    """Bring the routing panel forward, its Route button focused."""
    routing = window.panels.routing
    dock = routing.parent()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parent()
    if isinstance(dock, QDockWidget):
        dock.show()
        dock.raise_()
    routing.route_button.setFocus()


def open_judge(window: MainWindow, path: Path | None = None) -> JudgeDialog | None:
    """The judge-verdicts dialog; the import runs in a worker on the project."""
    project = window.controller.path
    if project is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return None
    dialog = JudgeDialog(path, parent=window)

    def requested(options: Any) -> None:
        def done(report: Any) -> None:
            dialog.show_result(report)
            window.statusBar().showMessage(report.summary(), 10000)
            window.controller.queue_changed_elsewhere()

        job = partial(jobs.judge_job, project, options)
        dialog_wiring.run_with_dialog(window, "judge import", job, done, dialog.show_error, dialog)

    dialog.judge_requested.connect(requested)
    dialog.open()
    return dialog

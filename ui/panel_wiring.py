"""Side panels and dialogs, composed into the window.

Each panel and dialog is a view: this module feeds it from jobs on worker threads
(``ui.jobs``) and turns its intents into jobs or store calls on the GUI connection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from ui import jobs
from ui.dialogs.about_dialog import AboutDialog
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_dialog import ImportDialog
from ui.panels.agreement_panel import AgreementPanel
from ui.panels.curve_view import read_curve_csv
from ui.panels.guidelines_panel import GuidelinesPanel
from ui.panels.routing_panel import RoutingPanel
from ui.workers import one_shot

if TYPE_CHECKING:
    from ui.main_window import MainWindow

PANELS = (
    ("guidelines", GuidelinesPanel, "Guidelines"),
    ("routing", RoutingPanel, "Routing"),
    ("agreement", AgreementPanel, "Bias and agreement"),
)


def add_panels(window: MainWindow) -> dict[str, Any]:
    """One tabbed dock on the right per available panel; returns them by name."""
    panels: dict[str, Any] = {}
    docks: list[QDockWidget] = []
    for key, cls, title in PANELS:
        panel = cls()
        dock = QDockWidget(title, window)
        dock.setObjectName(f"panel-{key}")
        dock.setWidget(panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if docks:
            window.tabifyDockWidget(docks[0], dock)
        docks.append(dock)
        panels[key] = panel
    if docks:
        docks[0].raise_()
        window.resizeDocks([docks[0]], [340], Qt.Orientation.Horizontal)
    _connect(window, panels)
    return panels


def _connect(window: MainWindow, panels: dict[str, Any]) -> None:
    if "guidelines" in panels:
        panels["guidelines"].guidelines_changed.connect(partial(_save_guidelines, window))
    if "agreement" in panels:
        panels["agreement"].refresh_requested.connect(partial(refresh_agreement, window))
    if "routing" in panels:
        routing = panels["routing"]
        routing.score_requested.connect(partial(_run_job, window, jobs.score_job, "Scoring"))
        routing.retrain_requested.connect(partial(_run_job, window, jobs.retrain_job, "Training"))
        routing.simulation_requested.connect(partial(run_simulation, window))
        routing.route_requested.connect(
            lambda strategy, budget: _run_job(window, jobs.route_job, "Routing", strategy, budget)
        )
        routing.target_requested.connect(partial(route_to_target, window))
    window.controller.counts_changed.connect(lambda _c: refresh_routing(window))


def project_opened(window: MainWindow) -> None:
    db = window.controller.db
    if "guidelines" in window.panels and db is not None:
        from labeler.store.meta import get_guidelines

        window.panels["guidelines"].set_guidelines(get_guidelines(db))
    refresh_agreement(window)
    refresh_routing(window)
    show_saved_curve(window)


def simulation_dir(project: Path) -> Path:
    """Where a project's routing simulation (CSV and PNG) is kept: beside the project file."""
    return project.with_name(f"{project.stem}-routing")


def show_saved_curve(window: MainWindow) -> None:
    """Plot the project's last routing simulation, if it has one."""
    panel, path = window.panels.get("routing"), window.controller.path
    if panel is None or path is None:
        return
    csv_path = simulation_dir(Path(path)) / "routing_simulation.csv"
    if csv_path.exists():
        panel.show_curve(read_curve_csv(csv_path))


def run_simulation(window: MainWindow) -> None:
    """Replay every strategy on the labelled items in a worker, then plot the curves."""
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return

    def done(report: Any) -> None:
        text = f"Simulation written to {report.csv_path.parent}. {report.headline()}"
        window.statusBar().showMessage(text, 20000)
        show_saved_curve(window)

    job = partial(jobs.simulation_job, path, simulation_dir(Path(path)))
    _start(window, "Simulating", job, done)


def _save_guidelines(window: MainWindow, markdown: str) -> None:
    from labeler.store.meta import set_guidelines

    if window.controller.db is not None:
        set_guidelines(window.controller.db, markdown)


def _start(window: MainWindow, name: str, job: Any, on_result: Any, quiet: bool = False) -> None:
    def on_error(exc: Exception) -> None:
        detail = getattr(exc, "detail", None)
        text = getattr(exc, "message", None) or str(exc)
        window.statusBar().showMessage(
            f"{name} failed: {text}" + (f"  ({detail})" if detail else "")
        )

    window.jobs.start(name, job, on_result, on_error, quiet=quiet)


def refresh_agreement(window: MainWindow) -> None:
    panel, path = window.panels.get("agreement"), window.controller.path
    if panel is None or path is None:
        return
    panel.set_busy(True)

    def done(report: Any) -> None:
        panel.set_busy(False)
        panel.show_report(report)

    _start(window, "agreement", partial(jobs.agreement_job, path), done, quiet=True)


def refresh_routing(window: MainWindow) -> None:
    panel = window.panels.get("routing")
    reader = window.controller.reader  # refreshes share the window's read connection
    if panel is None or reader is None:
        return
    if "routing-snapshot" in window.jobs.running_names():
        return
    job = one_shot(lambda: reader.run(jobs.routing_snapshot))
    _start(window, "routing-snapshot", job, panel.show_snapshot, quiet=True)


def _run_job(window: MainWindow, job: Callable[..., Any], what: str, *args: Any) -> None:
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return

    def done(report: Any) -> None:
        summary = getattr(report, "summary", None)
        window.statusBar().showMessage(summary() if summary else f"{what} finished.", 15000)
        window.controller.queue_changed_elsewhere()
        refresh_agreement(window)

    _start(window, what, partial(job, path, *args), done)


def route_to_target(window: MainWindow, strategy: str, target: float, confidence: float) -> None:
    """Route to a quality target; the plan's trade-off is shown in a box afterwards."""
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return

    def done(report: Any) -> None:
        from PySide6.QtWidgets import QMessageBox

        window.statusBar().showMessage(report.summary().splitlines()[0], 15000)
        window.controller.queue_changed_elsewhere()
        box = QMessageBox(QMessageBox.Icon.Information, "Routed to a target", "", parent=window)
        box.setText(report.summary())
        box.setStyleSheet("QLabel { font-family: monospace; }")
        box.open()

    job = partial(
        jobs.route_job, path, strategy, 0.0, target_accuracy=target, confidence=confidence
    )
    _start(window, "Routing", job, done)


def start_import(window: MainWindow, paths: list[Path], dialog: Any = None) -> None:
    """Import files in a worker (its own connection), reporting to ``dialog`` if given."""
    path = window.controller.path
    if path is None or not paths:
        return

    def done(report: Any) -> None:
        window.statusBar().showMessage(report.summary(), 8000)
        window.controller.queue_changed_elsewhere()
        if dialog is not None:
            dialog.show_result(report)

    def failed(exc: Exception) -> None:
        if dialog is not None:
            dialog.show_error(exc)
        else:
            window.statusBar().showMessage(f"Import failed: {exc}", 10000)

    _run_with_dialog(window, "import", partial(jobs.import_job, path, paths), done, failed, dialog)


def _run_with_dialog(
    window: MainWindow, name: str, job: Any, done: Any, failed: Any, dialog: Any
) -> None:
    """Run a job whose progress, result and errors also show in a dialog (if any)."""
    worker = window.jobs.start(name, job, done, failed)
    if dialog is not None:
        dialog.set_running(True)
        worker.signals.progress.connect(dialog.set_progress)
        worker.signals.finished.connect(lambda: dialog.set_running(False))
        dialog.cancel_requested.connect(worker.cancel)


def open_import(window: MainWindow, paths: list[Path]) -> ImportDialog | None:
    """The import dialog (preview, field mapping, skip-bad) for the chosen files."""
    if window.controller.path is None or not paths:
        return None
    dialog = ImportDialog(paths, parent=window)

    def requested(chosen: list[Path], mapping: Any, skip_bad: bool) -> None:
        path = window.controller.path
        if path is None:  # the project was closed while the dialog was open
            return

        def done(report: Any) -> None:
            dialog.show_result(report)
            window.controller.queue_changed_elsewhere()

        job = partial(jobs.import_job, path, chosen, mapping, skip_bad)
        _run_with_dialog(window, "import", job, done, dialog.show_error, dialog)

    dialog.import_requested.connect(requested)
    dialog.open()
    return dialog


def open_export(window: MainWindow) -> ExportDialog | None:
    """The export dialog: format, variant and filters; the export runs in a worker."""
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return None
    dialog = ExportDialog(default_dir=Path(path).with_suffix(""), parent=window, project_path=path)

    def requested(out_dir: Path, options: Any) -> None:
        job = partial(jobs.export_job, path, out_dir, options)
        _run_with_dialog(window, "export", job, dialog.show_result, dialog.show_error, dialog)

    dialog.export_requested.connect(requested)
    dialog.open()
    return dialog


def open_about(window: MainWindow) -> AboutDialog:
    dialog = AboutDialog(window.controller.path, parent=window)
    dialog.open()
    return dialog

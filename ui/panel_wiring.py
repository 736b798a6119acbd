"""Side panels and dialogs, composed into the window.

Each panel and dialog is a view: this module feeds it from jobs on worker threads
(``ui.jobs``) and turns its intents into jobs or store calls on the GUI connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

from labeler.store.assign import assigned_to
from ui import jobs
from ui.panels.agreement_panel import AgreementPanel
from ui.panels.curve_view import read_curve_csv
from ui.panels.guidelines_panel import GuidelinesPanel
from ui.panels.job_results import short_form
from ui.panels.routing_panel import RoutingPanel
from ui.wheel_guard import guard_wheels
from ui.workers import GeneratorWorker, one_shot

if TYPE_CHECKING:
    from ui.main_window import MainWindow

PANEL_MIN_WIDTH = 280


@dataclass(slots=True)
class Refresh:
    """One refresh in flight at a time; a request meanwhile runs once more when it ends, so
    a change made during a refresh is never left unshown."""

    running: GeneratorWorker | None = None
    again: bool = False


@dataclass(frozen=True, slots=True)
class Panels:
    """The window's side panels, each a view this module feeds."""

    guidelines: GuidelinesPanel
    routing: RoutingPanel
    agreement: AgreementPanel
    routing_refresh: Refresh = field(default_factory=Refresh)


def add_panels(window: MainWindow) -> Panels:
    """One tabbed dock on the right per panel."""
    panels = Panels(GuidelinesPanel(), RoutingPanel(), AgreementPanel())
    titled = (
        ("guidelines", panels.guidelines, "Guidelines"),
        ("routing", panels.routing, "Routing"),
        ("agreement", panels.agreement, "Bias and agreement"),
    )
    docks: list[QDockWidget] = []
    for key, panel, title in titled:
        dock = QDockWidget(title, window)
        dock.setObjectName(f"panel-{key}")
        dock.setWidget(scrollable(panel))
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if docks:
            window.tabifyDockWidget(docks[0], dock)
        docks.append(dock)
    if docks:
        docks[0].raise_()
        window.resizeDocks([docks[0]], [340], Qt.Orientation.Horizontal)
    _connect(window, panels)
    return panels


def scrollable(panel: QWidget) -> QScrollArea:
    """A panel that scrolls rather than making the window taller or wider than a screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(panel)
    area.setMinimumWidth(PANEL_MIN_WIDTH)
    guard_wheels(panel)
    return area


def _connect(window: MainWindow, panels: Panels) -> None:
    panels.guidelines.guidelines_changed.connect(partial(_save_guidelines, window))
    panels.agreement.refresh_requested.connect(partial(refresh_agreement, window))
    routing = panels.routing
    routing.score_requested.connect(partial(_run_job, window, jobs.score_job, "Scoring"))
    routing.retrain_requested.connect(partial(_run_job, window, jobs.retrain_job, "Training"))
    routing.simulation_requested.connect(partial(run_simulation, window))
    routing.route_requested.connect(
        lambda strategy, budget, audit: _run_job(
            window, jobs.route_job, "Routing", strategy, budget, audit=audit
        )
    )
    routing.hours_requested.connect(
        lambda strategy, hours, audit: _run_job(
            window, jobs.route_job, "Routing", strategy, routing.budget, audit=audit, hours=hours
        )
    )
    routing.pace_wanted.connect(partial(refresh_routing, window))
    routing.target_requested.connect(partial(route_to_target, window))
    window.controller.counts_changed.connect(lambda _c: refresh_routing(window))


def project_opened(window: MainWindow) -> None:
    db = window.controller.db
    if db is not None:
        from labeler.store.meta import get_guidelines

        window.panels.guidelines.set_guidelines(get_guidelines(db))
    if db is not None:
        _annotator_of_file(window, assigned_to(db))
    refresh_agreement(window)
    refresh_routing(window)
    show_saved_curve(window)


def _annotator_of_file(window: MainWindow, name: str | None) -> None:
    """A project made for one annotator serves them: their name, unless another is set."""
    if not name or name == window.controller.annotator:
        return
    if window.controller.annotator:
        window.statusBar().showMessage(f"This project was made for {name}.", 8000)
        return
    window.annotator.setText(name)
    window.annotator.editingFinished.emit()


def simulation_dir(project: Path) -> Path:
    """Where a project's routing simulation (CSV and PNG) is kept: beside the project file."""
    return project.with_name(f"{project.stem}-routing")


def show_saved_curve(window: MainWindow) -> None:
    """Plot the project's last routing simulation, if it has one."""
    panel, path = window.panels.routing, window.controller.path
    if path is None:
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
        text = f"{report.headline()} (written to {report.csv_path.parent})"
        window.panels.routing.results.show_result("Simulation", text)
        window.statusBar().showMessage(short_form(text), 20000)
        show_saved_curve(window)

    job = partial(jobs.simulation_job, path, simulation_dir(Path(path)))
    _start(window, "Simulating", job, done)


def _save_guidelines(window: MainWindow, markdown: str) -> None:
    from labeler.store.meta import set_guidelines

    if window.controller.db is not None:
        set_guidelines(window.controller.db, markdown)


def _start(
    window: MainWindow, name: str, job: Any, on_result: Any, quiet: bool = False, **finished: Any
) -> GeneratorWorker:
    def on_error(exc: Exception) -> None:
        detail = getattr(exc, "detail", None)
        text = getattr(exc, "message", None) or str(exc)
        window.statusBar().showMessage(
            f"{name} failed: {text}" + (f"  ({detail})" if detail else "")
        )

    return window.jobs.start(name, job, on_result, on_error, quiet=quiet, **finished)


def refresh_agreement(window: MainWindow) -> None:
    panel, path = window.panels.agreement, window.controller.path
    if path is None:
        return
    panel.set_busy(True)

    def done(report: Any) -> None:
        panel.set_busy(False)
        panel.show_report(report)

    _start(window, "agreement", partial(jobs.agreement_job, path), done, quiet=True)
    job = partial(jobs.team_job, path)
    _start(window, "Agreement between annotators", job, panel.team.show_report, quiet=True)


def refresh_routing(window: MainWindow) -> None:
    panel, state = window.panels.routing, window.panels.routing_refresh
    reader = window.controller.reader  # refreshes share the window's read connection
    if reader is None:
        return
    if state.running is not None:
        state.again = True
        return
    previous = panel.snapshot
    read = partial(jobs.routing_snapshot, previous=previous, pace=panel.wants_pace)
    job = one_shot(lambda: reader.run(read))

    def done(snapshot: Any) -> None:
        panel.show_snapshot(snapshot)
        queue = window.controller.queue
        window.page.progress.show_progress(
            snapshot.counts, snapshot.labels_per_hour, queue, snapshot.timed_labels
        )

    def ended() -> None:
        state.running = None
        if state.again:
            state.again = False
            refresh_routing(window)

    state.running = _start(window, "routing-snapshot", job, done, quiet=True, on_finished=ended)


def _run_job(
    window: MainWindow, job: Callable[..., Any], what: str, *args: Any, **kwargs: Any
) -> None:
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return

    def done(report: Any) -> None:
        summary = getattr(report, "summary", None)
        text = summary() if summary else ""
        if text:  # whole under Routing; a short form in the status bar
            window.panels.routing.results.show_result(what, text)
        window.statusBar().showMessage(short_form(text) or f"{what} finished.", 15000)
        window.controller.queue_changed_elsewhere()
        refresh_agreement(window)

    _start(window, what, partial(job, path, *args, **kwargs), done)


def route_to_target(window: MainWindow, strategy: str, target: float, confidence: float) -> None:
    """Route to a quality target once the person has seen and confirmed its plan."""
    from ui.target_routing import confirm_target  # it starts its jobs through this module

    confirm_target(window, strategy, target, confidence)

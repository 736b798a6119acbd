"""Side panels and dialogs, composed into the window when their modules are installed.

Each panel is a view: this module feeds it from jobs on worker threads (``ui.jobs``) and turns
its intents into store calls on the GUI connection. A panel module that is missing is simply
left out, so the window works with whatever parts of the product are present.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

PANELS = (
    ("guidelines", "ui.panels.guidelines_panel", "GuidelinesPanel", "Guidelines"),
    ("routing", "ui.panels.routing_panel", "RoutingPanel", "Routing"),
    ("agreement", "ui.panels.agreement_panel", "AgreementPanel", "Bias and agreement"),
)


def _optional(module: str, name: str) -> Any:
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def add_panels(window: Any) -> dict[str, Any]:
    """One tabbed dock on the right per available panel; returns them by name."""
    panels: dict[str, Any] = {}
    docks: list[QDockWidget] = []
    for key, module, cls_name, title in PANELS:
        cls = _optional(module, cls_name)
        if cls is None:
            continue
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


def _connect(window: Any, panels: dict[str, Any]) -> None:
    if "guidelines" in panels:
        panels["guidelines"].guidelines_changed.connect(partial(_save_guidelines, window))
    if "agreement" in panels:
        panels["agreement"].refresh_requested.connect(partial(refresh_agreement, window))
    if "routing" in panels:
        routing = panels["routing"]
        routing.score_requested.connect(partial(_run_named, window, "score_job", "Scoring"))
        routing.retrain_requested.connect(partial(_run_named, window, "train_job", "Training"))
        routing.simulation_requested.connect(
            partial(_run_named, window, "simulation_job", "Simulating")
        )
        routing.route_requested.connect(
            lambda strategy, budget: _run_named(window, "route_job", "Routing", strategy, budget)
        )
    window.controller.counts_changed.connect(lambda _c: refresh_routing(window))


def project_opened(window: Any) -> None:
    db = window.controller.db
    if "guidelines" in window.panels and db is not None:
        from labeler.store.meta import get_guidelines

        window.panels["guidelines"].set_guidelines(get_guidelines(db))
    refresh_agreement(window)
    refresh_routing(window)


def _save_guidelines(window: Any, markdown: str) -> None:
    from labeler.store.meta import set_guidelines

    if window.controller.db is not None:
        set_guidelines(window.controller.db, markdown)


def _job(name: str) -> Any:
    return _optional("ui.jobs", name)


def _start(window: Any, name: str, job: Any, on_result: Any, quiet: bool = False) -> None:
    def on_error(exc: Exception) -> None:
        detail = getattr(exc, "detail", None)
        text = getattr(exc, "message", None) or str(exc)
        window.statusBar().showMessage(
            f"{name} failed: {text}" + (f"  ({detail})" if detail else "")
        )

    window.jobs.start(name, job, on_result, on_error, quiet=quiet)


def refresh_agreement(window: Any) -> None:
    panel, path, job = (
        window.panels.get("agreement"),
        window.controller.path,
        _job("agreement_job"),
    )
    if panel is None or path is None or job is None:
        return
    panel.set_busy(True)

    def done(report: Any) -> None:
        panel.set_busy(False)
        panel.show_report(report)

    _start(window, "agreement", partial(job, path), done, quiet=True)


def refresh_routing(window: Any) -> None:
    panel = window.panels.get("routing")
    path, job = window.controller.path, _job("routing_snapshot_job")
    if panel is None or path is None or job is None:
        return
    if "routing-snapshot" in window.jobs.running_names():
        return
    _start(window, "routing-snapshot", partial(job, path), panel.show_snapshot, quiet=True)


def _run_named(window: Any, job_name: str, what: str, *args: Any) -> None:
    job, path = _job(job_name), window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return
    if job is None:
        window.statusBar().showMessage(f"{what} is not available in this version.", 6000)
        return

    def done(_result: Any) -> None:
        window.statusBar().showMessage(f"{what} finished.", 5000)
        window.controller.queue_changed_elsewhere()
        refresh_agreement(window)

    _start(window, what, partial(job, path, *args), done)


def start_import(window: Any, paths: list[Path]) -> None:
    """Import dropped or chosen files in a worker (its own connection), then refresh."""
    job = _job("import_job")
    if job is None:
        window.statusBar().showMessage("Importing is not available in this version.", 6000)
        return

    def done(report: Any) -> None:
        inserted = getattr(report, "inserted", None)
        window.statusBar().showMessage(
            "Import finished" + (f": {inserted:,} new items." if inserted is not None else "."),
            8000,
        )
        window.controller.queue_changed_elsewhere()

    _start(window, "import", partial(job, window.controller.path, paths), done)


def open_import(window: QMainWindow) -> bool:
    """The import dialog (preview and field mapping) if installed; False to fall back."""
    return _open_dialog(window, "ui.dialogs.import_dialog", "ImportDialog")


def open_export(window: QMainWindow) -> bool:
    if not _open_dialog(window, "ui.dialogs.export_dialog", "ExportDialog"):
        window.statusBar().showMessage("Exporting from the app is not available yet.", 6000)
        return False
    return True


def _open_dialog(window: Any, module: str, cls_name: str) -> bool:
    cls = _optional(module, cls_name)
    if cls is None or window.controller.path is None:
        return False
    dialog = cls(window.controller.path, parent=window)
    finished = getattr(dialog, "finished", None)
    if finished is not None:
        finished.connect(lambda *_: window.controller.queue_changed_elsewhere())
    dialog.open()
    return True

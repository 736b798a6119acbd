"""The import, export and about dialogs, composed into the window: each runs its job in a
worker and shows the job's progress, result and errors itself."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ui import jobs
from ui.dialogs.about_dialog import AboutDialog
from ui.dialogs.export_check import confirm_export
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_dialog import ImportDialog

if TYPE_CHECKING:
    from labeler.workflows.importing import ImportOptions
    from ui.main_window import MainWindow


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

    run_with_dialog(window, "import", partial(jobs.import_job, path, paths), done, failed, dialog)


def run_with_dialog(
    window: MainWindow, name: str, job: Any, done: Any, failed: Any, dialog: Any
) -> None:
    """Run a job whose progress, result and errors also show in a dialog (if any)."""
    ended = None if dialog is None else (lambda: dialog.set_running(False))
    worker = window.jobs.start(name, job, done, failed, on_finished=ended)
    if dialog is not None:
        dialog.set_running(True)
        worker.signals.progress.connect(dialog.set_progress)
        worker.signals.cancelled.connect(dialog.show_cancelled)
        dialog.cancel_requested.connect(worker.cancel)


def open_import(window: MainWindow, paths: list[Path]) -> ImportDialog | None:
    """The import dialog (preview, field mapping, schema, bad records, images) for the files."""
    if window.controller.path is None or not paths:
        return None
    dialog = ImportDialog(paths, parent=window, project=window.controller.path)

    def requested(options: ImportOptions) -> None:
        path = window.controller.path
        if path is None:  # the project was closed while the dialog was open
            return

        def done(report: Any) -> None:
            dialog.show_result(report)
            if options.schema is not None:  # the items are now labelled another way
                window.controller.set_queue(window.controller.queue)
            window.controller.queue_changed_elsewhere()

        job = partial(jobs.import_job, path, options)
        run_with_dialog(window, "import", job, done, dialog.show_error, dialog)

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
        run = partial(run_with_dialog, window, "export", job, dialog.show_result,
                      dialog.show_error, dialog)  # fmt: skip
        if window.controller.db is None:
            return
        confirm_export(dialog, window.controller.db, options, run)

    dialog.export_requested.connect(requested)
    dialog.open()
    return dialog


def open_about(window: MainWindow) -> AboutDialog:
    dialog = AboutDialog(window.controller.path, parent=window)
    dialog.open()
    return dialog

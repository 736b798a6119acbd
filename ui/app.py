"""The GUI's composition root: QApplication, settings, theme, the window and a project."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from ui import window_state
from ui.main_window import AppConfig, MainWindow
from ui.project_link import install_busy_policy
from ui.qt_check import QtCannotStart, check_platform
from ui.theme import apply_theme

APP_ID = "io.github.prefmark.Prefmark"  # the .desktop file's name: Wayland matches windows by it


def application() -> QApplication:
    """The QApplication, with the app's name, desktop identity and window icon."""
    QGuiApplication.setDesktopFileName(APP_ID)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("prefmark")
    app.setOrganizationName("prefmark")
    app.setWindowIcon(QIcon(str(files("ui") / "icons" / "prefmark.png")))
    return app


def _demo_path() -> Path:
    """The bundled demo project, created on first use in the user's data directory, with the
    annotators' votes and judge verdicts its data ships with."""
    from labeler.about import data_dir
    from labeler.demo import add_bundled_labels, create_demo_project

    base = data_dir()
    base.mkdir(parents=True, exist_ok=True)
    path = base / "demo.db"
    db = create_demo_project(path)
    try:
        add_bundled_labels(db)
    finally:
        db.conn.close()
    return path


def create_window(settings: QSettings | None = None, theme: str | None = None) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create a QApplication first"
    settings = settings or QSettings("prefmark", "prefmark")
    mode = theme or str(settings.value("theme", "system"))
    apply_theme(app, mode)
    install_busy_policy()
    return MainWindow(AppConfig(settings, mode))


def run_gui(project_path: Path | None, demo: bool = False) -> int:
    """Open the window (on a project, or the demo) and run the event loop; the exit code.

    Raises QtCannotStart, naming the missing system library, when Qt could not start."""
    check_platform()
    app = application()
    window = create_window()
    if demo:
        project_path = _demo_path()
    if project_path is not None:
        window.open_project(Path(project_path), create=not Path(project_path).exists())
    else:
        recent = window.recent_projects()
        if recent and Path(recent[0]).exists():
            window.open_project(Path(recent[0]))
    window_state.place(window, window.settings)
    window.show()
    if demo:
        from ui.demo_scores import score_demo_in_background

        score_demo_in_background(window)
    code = int(app.exec())
    window.jobs.shutdown()  # a job still running stops at its next step, not mid-exit
    return code


def main() -> None:
    """Entry point of the ``prefmark-gui`` script: ``prefmark-gui [PROJECT.db]``."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    demo = "--demo" in sys.argv[1:]
    try:
        code = run_gui(Path(args[0]) if args else None, demo=demo)
    except QtCannotStart as exc:
        raise SystemExit(f"Error: {exc}") from None
    raise SystemExit(code)

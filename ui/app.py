"""The GUI's composition root: QApplication, settings, theme, the window and a project."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from ui.main_window import AppConfig, MainWindow
from ui.theme import apply_theme


def _demo_path() -> Path:
    """The bundled demo project, created on first use in the user's data directory."""
    import os

    from platformdirs import user_data_dir

    base = Path(os.environ.get("PREFMARK_DATA_DIR") or user_data_dir("prefmark"))
    base.mkdir(parents=True, exist_ok=True)
    path = base / "demo.db"
    if not path.exists():
        import labeler.demo as demo

        make = getattr(demo, "demo_project", None) or demo.create_demo_project
        made = make(path)
        if hasattr(made, "conn"):
            made.conn.close()
    return path


def create_window(settings: QSettings | None = None, theme: str | None = None) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create a QApplication first"
    settings = settings or QSettings("prefmark", "prefmark")
    mode = theme or str(settings.value("theme", "system"))
    apply_theme(app, mode)
    return MainWindow(AppConfig(settings, mode))


def run_gui(project_path: Path | None, demo: bool = False) -> int:
    """Open the window (on a project, or the demo) and run the event loop; the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("prefmark")
    app.setOrganizationName("prefmark")
    window = create_window()
    if demo:
        project_path = _demo_path()
    if project_path is not None:
        window.open_project(Path(project_path), create=not Path(project_path).exists())
    else:
        recent = window.recent_projects()
        if recent and Path(recent[0]).exists():
            window.open_project(Path(recent[0]))
    window.resize(1280, 800)
    window.show()
    return int(app.exec())


def main() -> None:
    """Entry point of the ``prefmark-gui`` script: ``prefmark-gui [PROJECT.db]``."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    demo = "--demo" in sys.argv[1:]
    raise SystemExit(run_gui(Path(args[0]) if args else None, demo=demo))

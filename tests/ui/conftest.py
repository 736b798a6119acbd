"""GUI fixtures: isolated settings, a window on a real project file, keyboard helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThreadPool


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """QSettings in tmp_path, never the user's real ones."""
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    s.setValue("annotator", "ana")
    return s


@pytest.fixture
def window_factory(qtbot, settings):  # type: ignore[no-untyped-def]
    from ui.app import create_window

    windows = []

    def make(project: Path | None = None):  # type: ignore[no-untyped-def]
        window = create_window(settings, theme="light")
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)  # window shortcuts need an active window
        if project is not None:
            assert window.open_project(project)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.jobs.shutdown()
    assert QThreadPool.globalInstance().waitForDone(5000)

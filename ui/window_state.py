"""Where the window opens and what it remembers: a size that fits the screen's available area
(a 1024x640 laptop included), the geometry and dock layout of the last session, and a View menu
entry for every dock so a closed panel can always be brought back."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

PREFERRED_SIZE = (1280, 800)
STATE_VERSION = 1  # bump when the docks change so an old layout is not restored onto new ones


def available_area(window: QMainWindow) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_into(rect: QRect, area: QRect) -> QRect:
    """``rect`` shrunk to ``area`` and moved inside it."""
    width, height = min(rect.width(), area.width()), min(rect.height(), area.height())
    x = min(max(rect.x(), area.x()), area.right() - width + 1)
    y = min(max(rect.y(), area.y()), area.bottom() - height + 1)
    return QRect(x, y, width, height)


def place(window: QMainWindow, settings: QSettings) -> None:
    """Restore the last geometry and docks, or open at the preferred size; inside the
    screen's available area either way."""
    area = available_area(window)
    geometry = settings.value("window/geometry")
    if isinstance(geometry, QByteArray | bytes) and window.restoreGeometry(QByteArray(geometry)):
        target = fit_into(window.geometry(), area)
    else:
        width, height = PREFERRED_SIZE
        target = QRect(0, 0, width, height)
        target.moveCenter(area.center())
        target = fit_into(target, area)
    state = settings.value("window/state")
    restored = isinstance(state, QByteArray | bytes) and window.restoreState(
        QByteArray(state), STATE_VERSION
    )
    if not restored:  # the first panel's tab in front, once the window has laid them out
        panels = [
            d for d in window.findChildren(QDockWidget) if d.objectName().startswith("panel-")
        ]
        if panels:
            QTimer.singleShot(0, panels[0].raise_)
    window.resize(target.size())
    window.move(target.topLeft())


def save(window: QMainWindow, settings: QSettings) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState(STATE_VERSION))


def add_dock_toggles(window: QMainWindow, menu: QMenu) -> None:
    """One checkable View menu entry per dock (shows a closed dock again)."""
    menu.addSeparator()
    for dock in window.findChildren(QDockWidget):
        action = dock.toggleViewAction()
        action.setText(f"Show {dock.windowTitle()} panel")
        menu.addAction(action)

"""Scrolling a form scrolls the form: a combo box or spin box under the mouse takes the wheel
only once it has focus (clicked or tabbed to), so a field's value never changes while the user
is merely scrolling past it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

_GUARDED = "wheel_guarded"


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()  # unaccepted, Qt passes the wheel on to the parent: the scroll area
            return True
        return False


_guard: _WheelGuard | None = None


def guard_wheels(root: QWidget) -> None:
    """Make every combo box and spin box inside ``root`` leave unfocused wheel turns alone.

    Idempotent: call it again after adding fields."""
    global _guard
    if _guard is None:
        _guard = _WheelGuard(QApplication.instance())
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QComboBox | QAbstractSpinBox) and not widget.property(_GUARDED):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(_guard)
            widget.setProperty(_GUARDED, True)

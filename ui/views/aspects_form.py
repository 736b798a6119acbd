"""The multi-aspect form: overall plus each aspect on a 5-point scale from left to right."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QGroupBox, QLabel, QRadioButton, QWidget

SCALE = (-2, -1, 0, 1, 2)
SCALE_TEXT = ("Left ≫", "Left >", "Same", "Right >", "Right ≫")


class AspectsForm(QGroupBox):
    """Emits ``aspects_made(item_id, {aspect: -2..2})`` when submitted (Enter)."""

    aspects_made = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Aspects (−2 = left much better … +2 = right much better)", parent)
        self._grid = QGridLayout(self)
        self._groups: dict[str, QButtonGroup] = {}
        self._item_id = ""

    def set_aspects(self, aspects: tuple[str, ...]) -> None:
        names = ("overall", *[a for a in aspects if a != "overall"])
        if tuple(self._groups) == names:
            return
        while self._grid.count():
            item = self._grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self._groups = {}
        for col, text in enumerate(SCALE_TEXT, start=1):
            self._grid.addWidget(QLabel(text), 0, col)
        for row, name in enumerate(names, start=1):
            self._grid.addWidget(QLabel(name.capitalize()), row, 0)
            group = QButtonGroup(self)
            for col, value in enumerate(SCALE, start=1):
                button = QRadioButton()
                button.setAccessibleName(f"{name} {value:+d}")
                group.addButton(button, value + 2)
                self._grid.addWidget(button, row, col)
            self._groups[name] = group

    def show_item(self, item_id: str, values: dict[str, int] | None = None) -> None:
        self._item_id = item_id
        for name, group in self._groups.items():
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
            if values and name in values:
                group.button(values[name] + 2).setChecked(True)

    def set_value(self, aspect: str, value: int) -> None:
        self._groups[aspect].button(value + 2).setChecked(True)

    def values(self) -> dict[str, int]:
        return {
            name: group.checkedId() - 2
            for name, group in self._groups.items()
            if group.checkedId() >= 0
        }

    def submit(self) -> bool:
        """Emit the values if ``overall`` is set; returns whether it did."""
        values = self.values()
        if "overall" not in values:
            return False
        self.aspects_made.emit(self._item_id, values)
        return True

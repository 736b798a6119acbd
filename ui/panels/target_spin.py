"""The routing panel's quality target: off, or an accuracy within the bounds the core takes.

Its lowest value means "off: use the budget"; one step up from off gives the usual target
(``DEFAULT_TARGET``) rather than the bottom of the range, and one step down from the bottom
turns it off again. Values are percentages on screen, fractions to the caller.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from labeler.routing.target import DEFAULT_TARGET, TARGET_BOUNDS

STEP = 0.5  # percent
LOWEST = TARGET_BOUNDS[0] * 100
HIGHEST = round(TARGET_BOUNDS[1] * 100 - 0.1, 1)  # the upper bound itself is excluded
OFF = LOWEST - STEP


class TargetSpin(QDoubleSpinBox):
    """``target`` is None when off, else a fraction in the core's bounds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(1)
        self.setRange(OFF, HIGHEST)
        self.setSingleStep(STEP)
        self.setSuffix(" %")
        self.setSpecialValueText("off: use the budget")
        self.setValue(OFF)
        self.editingFinished.connect(self._snap_off)

    @property
    def target(self) -> float | None:
        value = self.value()
        return None if value < LOWEST else value / 100

    def stepBy(self, steps: int) -> None:
        value = self.value()
        if value < LOWEST and steps > 0:
            self.setValue(DEFAULT_TARGET * 100)
        elif value <= LOWEST and steps < 0:
            self.setValue(OFF)
        else:
            super().stepBy(steps)

    def _snap_off(self) -> None:
        """A typed value below the bounds means off, and says so."""
        if OFF < self.value() < LOWEST:
            self.setValue(OFF)

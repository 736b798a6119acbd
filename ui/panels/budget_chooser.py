"""People's budget for routing: a share of the items routing can send, or hours of labelling.

Its line says what that share counts (two-response items no person has labelled, the model's
included) and what it leaves out (listwise items, always people's), so it can be read against
the sidebar's To label and Done.

A view inside the routing panel. For hours it says what they buy at the project's own pace
(``labeler.hours_budget``, the pace routing uses), and how sure that is: a pace from a few
timed labels is a rough guess, and without any the hours cannot be turned into items.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labeler.agreement import MIN_TIMED_FOR_RATE
from labeler.hours_budget import HoursPreview
from labeler.routing.pace import MIN_TIMED
from labeler.store.browse import Routable
from ui.panels.formatting import pct
from ui.plain import plain_label

BUDGET_STEP = 5  # percent per slider step
HOURS_STEP = 0.25
SHARE, HOURS = "% of items", "hours"


class BudgetChooser(QWidget):
    """``changed`` when the budget or its kind changes; ``hours_chosen`` when hours are picked
    (their pace is then worth measuring)."""

    changed = Signal()
    hours_chosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.routable: Routable | None = None
        self.preview: HoursPreview | None = None
        self.kind_combo = QComboBox()
        self.kind_combo.addItems([SHARE, HOURS])
        self.kind_combo.setAccessibleName("Budget kind")
        self.kind_combo.setToolTip(
            "A share of the items no person has labelled for people, or hours of their "
            "labelling time"
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100 // BUDGET_STEP)
        self.slider.setPageStep(2)
        self.slider.setValue(25 // BUDGET_STEP)
        self.slider.setAccessibleName("Human budget")
        self.hours_spin = QDoubleSpinBox()
        self.hours_spin.setRange(HOURS_STEP, 10_000.0)
        self.hours_spin.setSingleStep(HOURS_STEP)
        self.hours_spin.setDecimals(2)
        self.hours_spin.setValue(1.0)
        self.hours_spin.setSuffix(" h")
        self.hours_spin.setAccessibleName("Hours of labelling")
        self.hours_spin.setToolTip(
            "People's time: routing sends them the items worth it most, at the pace they "
            "label (longer items take longer)"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.slider)
        self.stack.addWidget(self.hours_spin)
        self.stack.setMaximumHeight(self.hours_spin.sizeHint().height())
        self.label = plain_label()
        self.label.setWordWrap(True)
        row = QHBoxLayout()  # one row: the panel stays short enough for a small screen
        row.addWidget(self.stack, 1)
        row.addWidget(self.kind_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.label)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.slider.valueChanged.connect(self._update)
        self.hours_spin.valueChanged.connect(self._update)
        self._update()

    @property
    def in_hours(self) -> bool:
        return self.kind_combo.currentText() == HOURS

    @property
    def fraction(self) -> float:
        """The share chosen on the slider, as a fraction of the items."""
        return self.slider.value() * BUDGET_STEP / 100

    @property
    def hours(self) -> float:
        return float(self.hours_spin.value())

    def set_fraction(self, fraction: float) -> None:
        self.kind_combo.setCurrentText(SHARE)
        self.slider.setValue(round(100 * fraction / BUDGET_STEP))

    def set_hours(self, planned: float) -> None:
        """Hours again, as a run that planned ``planned`` hours was asked for (a run plans at
        most the hours it was given, so the next step up)."""
        self.hours_spin.setValue(max(HOURS_STEP, math.ceil(planned / HOURS_STEP) * HOURS_STEP))
        self.kind_combo.setCurrentText(HOURS)

    def show_numbers(self, routable: Routable | None, preview: HoursPreview | None) -> None:
        self.routable = routable
        if preview is not None:
            self.preview = preview
        self._update()

    def text(self) -> str:
        """What the budget buys, in words."""
        if not self.in_hours:
            text = pct(self.fraction, 0)
            if self.routable and self.routable.items:
                share = round(self.fraction * self.routable.items)
                text += f" · about {share:,} to people, of {routable_text(self.routable)}"
            return text
        return hours_text(self.hours, self.preview, self.routable)

    def _kind_changed(self) -> None:
        self.stack.setCurrentIndex(int(self.in_hours))
        if self.in_hours:
            self.hours_chosen.emit()
        self._update()

    def _update(self) -> None:
        self.label.setText(self.text())
        self.changed.emit()


def routable_text(routable: Routable, items: int | None = None) -> str:
    """'133 pairs no person has labelled (90 by the model; 40 listwise items always go to
    people)': what a budget is a share of, and why it is not the sidebar's count."""
    n = routable.items if items is None else items
    notes = []
    if routable.by_model:
        notes.append(f"{routable.by_model:,} by the model")
    if routable.listwise:
        many = routable.listwise != 1
        notes.append(
            f"{routable.listwise:,} listwise item{'s' if many else ''} "
            f"always go{'' if many else 'es'} to people"
        )
    why = f" ({'; '.join(notes)})" if notes else ""
    return f"{n:,} pair{'s' if n != 1 else ''} no person has labelled{why}"


def hours_text(
    hours: float, preview: HoursPreview | None, routable: Routable | None = None
) -> str:
    """'About 240 for people, of 1,000 pairs no person has labelled, at your pace of 45 s per
    item', with how sure that is."""
    if preview is None:
        return "measuring your pace…"
    items = preview.items_for(hours)
    if items is None or preview.seconds_per_item is None:
        return (
            "pace unknown: no timed labels yet, so the hours cannot be turned into items. "
            "Label a few items here first."
        )
    per_item = f"{preview.seconds_per_item:,.0f} s per item"
    of = (
        f"{preview.items:,} pairs no person has labelled"
        if routable is None
        else routable_text(routable, preview.items)
    )
    text = f"about {items:,} for people, of {of},"
    if preview.by_length:
        return f"{text} at your pace of {per_item} (longer items take longer)"
    labels = f"{preview.timed:,} timed label{'s' if preview.timed != 1 else ''}"
    text += f" at the mean pace of your {labels}, {per_item}"
    if preview.timed < MIN_TIMED_FOR_RATE:
        return f"{text}: a rough guess until there are more"
    if preview.timed < MIN_TIMED:
        return f"{text}; item length counts after {MIN_TIMED} timed labels"
    return f"{text}; item length made no difference so far"

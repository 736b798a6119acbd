"""A form built from an options dataclass, so the export dialog follows the exporters' options.

Each field becomes the obvious widget for its type: an enum or ``Literal`` a combo box, a bool a
check box, a number a spin box (optional numbers get an "any" value), strings and string lists a
line edit (lists comma-separated). Fields of other types keep their default value.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

NONE_TEXT = "any"
COMBO_CHARS = 16  # a long choice is cut off in the box (its list shows all): the form stays narrow
_LIST_TYPES = (tuple, list, frozenset, set)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) for ``X | None``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _combo() -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(COMBO_CHARS)
    return combo


def humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


class OptionsForm(QWidget):
    """Edits one instance of an options dataclass; ``value()`` returns a new instance."""

    def __init__(
        self,
        default: Any,
        parent: QWidget | None = None,
        *,
        choices: Mapping[str, Sequence[tuple[Any, str]]] | None = None,
        hidden: Collection[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """``choices`` turns a field into a combo of (value, label); ``hidden`` fields keep
        their default; ``labels`` renames fields on screen."""
        super().__init__(parent)
        choices = choices or {}
        labels = labels or {}
        if not dataclasses.is_dataclass(default) or isinstance(default, type):
            raise TypeError("OptionsForm needs a dataclass instance")
        self._default = default
        self.widgets: dict[str, tuple[QWidget, Any, bool]] = {}
        hints = typing.get_type_hints(type(default))
        layout = QFormLayout(self)
        for f in dataclasses.fields(default):
            if not f.init or f.name.startswith("_") or f.name in hidden:
                continue
            tp, optional = _unwrap_optional(hints.get(f.name, Any))
            current = getattr(default, f.name)
            if f.name in choices:
                widget: QWidget | None = self._choice_combo(choices[f.name], optional, current)
                tp = typing.Literal  # read back through currentData()
            else:
                widget = self._make_widget(tp, optional, current)
            if widget is None:
                continue
            help_text = f.metadata.get("help") if f.metadata else None
            if help_text:
                widget.setToolTip(str(help_text))
            self.widgets[f.name] = (widget, tp, optional)
            layout.addRow(labels.get(f.name, humanise(f.name)), widget)

    # ---- building ------------------------------------------------------------------------

    @staticmethod
    def _choice_combo(
        options: Sequence[tuple[Any, str]], optional: bool, current: Any
    ) -> QComboBox:
        combo = _combo()
        if optional:
            combo.addItem(NONE_TEXT, None)
        for value, label in options:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    @staticmethod
    def _make_widget(tp: Any, optional: bool, current: Any) -> QWidget | None:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            combo = _combo()
            if optional:
                combo.addItem(NONE_TEXT, None)
            for member in tp:
                combo.addItem(str(member.value), member)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            return combo
        if origin is typing.Literal:
            combo = _combo()
            if optional:
                combo.addItem(NONE_TEXT, None)
            for choice in typing.get_args(tp):
                combo.addItem(str(choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            return combo
        if tp is bool:
            check = QCheckBox()
            check.setChecked(bool(current))
            return check
        if tp is int:
            spin = QSpinBox()
            spin.setRange(-1 if optional else -(10**9), 10**9)
            if optional:
                spin.setSpecialValueText(NONE_TEXT)
            spin.setValue(-1 if current is None else int(current))
            return spin
        if tp is float:
            dspin = QDoubleSpinBox()
            dspin.setDecimals(3)
            dspin.setSingleStep(0.05)
            dspin.setRange(-1.0 if optional else -1e9, 1e9)
            if optional:
                dspin.setSpecialValueText(NONE_TEXT)
            dspin.setValue(-1.0 if current is None else float(current))
            return dspin
        if tp is str or origin in _LIST_TYPES or tp in _LIST_TYPES:
            edit = QLineEdit()
            if current is None:
                edit.setPlaceholderText(NONE_TEXT)
            elif isinstance(current, str):
                edit.setText(current)
            else:
                edit.setText(", ".join(str(v) for v in current))
                edit.setPlaceholderText("comma-separated; empty = all")
            return edit
        return None

    # ---- reading -------------------------------------------------------------------------

    def set_field(self, name: str, value: Any) -> None:
        """Put a value into a field's widget (what a user would choose)."""
        widget, _tp, _optional = self.widgets[name]
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QSpinBox):
            widget.setValue(widget.minimum() if value is None else int(value))
        elif isinstance(widget, QDoubleSpinBox):
            widget.setValue(widget.minimum() if value is None else float(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(value if isinstance(value, str) else ", ".join(map(str, value or ())))

    def field_value(self, name: str) -> Any:
        widget, tp, optional = self.widgets[name]
        if isinstance(widget, QComboBox):
            data = widget.currentData()
            # Qt hands a StrEnum member back as a plain str: restore the member.
            if data is not None and isinstance(tp, type) and issubclass(tp, enum.Enum):
                return tp(data)
            return data
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox | QDoubleSpinBox):
            if optional and widget.value() == widget.minimum():
                return None
            return widget.value()
        assert isinstance(widget, QLineEdit)
        text = widget.text().strip()
        if tp is str:
            return None if optional and not text else text
        items = [part.strip() for part in text.split(",") if part.strip()]
        if optional and not items:
            return None
        container = typing.get_origin(tp) or tp
        return container(items) if container in _LIST_TYPES else tuple(items)

    def value(self) -> Any:
        """A new options instance with every edited field (the dataclass validates it)."""
        return dataclasses.replace(
            self._default, **{name: self.field_value(name) for name in self.widgets}
        )

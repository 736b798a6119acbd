"""How the project will be labelled, chosen at import: pairwise, listwise (optionally only the
top K ranked) or several aspects per pair; and the name the file's own labels are stored
under. "Automatic" keeps the project's schema, or lets the import pick one for a new project."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QSpinBox, QWidget

from labeler.types import LabelSchema, SchemaMode

AUTO = "Automatic (keep the project's; a new project: listwise if any item has 3+ responses)"
MODES = {
    AUTO: None,
    "Pairwise: pick the better of two": SchemaMode.PAIRWISE,
    "Listwise: rank the responses": SchemaMode.LISTWISE,
    "Multi-aspect: rate each aspect of a pair": SchemaMode.MULTI_ASPECT,
}
ALL_RESPONSES = "all responses"


class SchemaForm(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("How the project is labelled", parent)
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(list(MODES))
        self.top_k_spin = QSpinBox()
        self.top_k_spin.setRange(0, 20)
        self.top_k_spin.setSpecialValueText(ALL_RESPONSES)
        self.top_k_spin.setPrefix("best ")
        self.top_k_spin.setToolTip("Annotators rank only the best K responses")
        self.aspects_edit = QLineEdit(", ".join(LabelSchema().aspects))
        self.aspects_edit.setToolTip("The aspects rated beside 'overall', separated by commas")
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("the file name")
        self.source_edit.setToolTip(
            "Recorded as each item's source and as the annotator of the file's own labels"
        )
        form = QFormLayout(self)
        form.addRow("Schema", self.mode_combo)
        form.addRow("Rank", self.top_k_spin)
        form.addRow("Aspects", self.aspects_edit)
        form.addRow("Source name", self.source_edit)
        self.mode_combo.currentIndexChanged.connect(self._update_enabled)
        self._update_enabled()

    @property
    def mode(self) -> SchemaMode | None:
        return MODES[self.mode_combo.currentText()]

    def set_mode(self, mode: SchemaMode | None) -> None:
        self.mode_combo.setCurrentText(next(k for k, v in MODES.items() if v == mode))

    def schema(self) -> LabelSchema | None:
        """The chosen schema (None: automatic); ValueError in words when it cannot work."""
        mode = self.mode
        if mode is None:
            return None
        top_k = self.top_k_spin.value() or None
        chosen = LabelSchema(mode=mode, top_k=top_k if mode is SchemaMode.LISTWISE else None)
        if mode is SchemaMode.MULTI_ASPECT:
            aspects = tuple(a.strip() for a in self.aspects_edit.text().split(",") if a.strip())
            if not aspects:
                raise ValueError("Name at least one aspect to rate, or choose another schema.")
            chosen = replace(chosen, aspects=aspects)
        return chosen

    def source_name(self) -> str | None:
        return self.source_edit.text().strip() or None

    def _update_enabled(self) -> None:
        self.top_k_spin.setEnabled(self.mode is SchemaMode.LISTWISE)
        self.aspects_edit.setEnabled(self.mode is SchemaMode.MULTI_ASPECT)

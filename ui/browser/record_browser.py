"""The record browser: every item in a sortable, filterable table; open one to relabel it.

A view: it reads pages through ``RecordsModel`` and emits intents (``item_opened``,
``serve_skipped_requested``, ``bulk_accept_requested``) that ``ui.browser.wiring`` carries out.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labeler.store.browse import LABEL_SOURCES, RecordFilter
from labeler.types import Route, Status
from ui.browser.records_model import RecordsModel

ANY = "any"
WIDTHS = (56, 290, 64, 64, 110, 90, 120, 230, 56)  # px per column; the last (tags) stretches
LISTS = {
    # the sidebar's queues, as filters
    "done": RecordFilter(status=Status.DONE),
    "skipped": RecordFilter(status=Status.SKIPPED),
    "flagged": RecordFilter(flagged=True),
    "to_review": RecordFilter(status=Status.TODO, route=Route.REVIEW),
    "all": RecordFilter(),
}


def _combo(values: list[str]) -> QComboBox:
    combo = QComboBox()
    combo.addItems([ANY, *values])
    return combo


class RecordBrowser(QDialog):
    item_opened = Signal(str)
    serve_skipped_requested = Signal(object)  # seqs, or None for every skipped item
    bulk_accept_requested = Signal(float)

    def __init__(self, model: RecordsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Records")
        self.setModal(False)
        self.model = model
        self.status = _combo([s.value for s in (Status.TODO, Status.DONE, Status.SKIPPED)])
        self.route = _combo([r.value for r in Route])
        self.source = _combo(list(LABEL_SOURCES))
        self.annotator = _combo([])
        self.flagged = _combo(["flagged", "not flagged"])
        self.tag = QLineEdit()
        self.tag.setPlaceholderText("tag")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search prompt and responses (Enter)")
        for combo in (self.status, self.route, self.source, self.annotator, self.flagged):
            combo.currentIndexChanged.connect(self.apply_filter)
        for edit in (self.tag, self.search):
            edit.returnPressed.connect(self.apply_filter)
        filters = QGridLayout()
        for col, (name, widget) in enumerate(
            (("Status", self.status), ("Route", self.route), ("Label source", self.source),
             ("By", self.annotator), ("Flag", self.flagged), ("Tag", self.tag))
        ):  # fmt: skip
            filters.addWidget(QLabel(name), 0, col)
            filters.addWidget(widget, 1, col)
        filters.addWidget(self.search, 2, 0, 1, 6)

        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(WIDTHS):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(self._open_index)
        model.modelReset.connect(self._update_count)

        self.count = QLabel()
        self.open_button = QPushButton("&Open item")
        self.open_button.clicked.connect(self.open_selected)
        self.unskip_button = QPushButton("Serve skipped &again")
        self.unskip_button.setToolTip("Put the skipped items listed here back in their queue")
        self.unskip_button.clicked.connect(self._serve_skipped)
        self.threshold = QDoubleSpinBox()
        self.threshold.setDecimals(0)
        self.threshold.setRange(50.0, 100.0)
        self.threshold.setSingleStep(1.0)
        self.threshold.setValue(90.0)
        self.threshold.setSuffix(" %")
        self.threshold.setToolTip("Model confidence: 50% is a coin flip, 100% certain")
        self.accept_button = QPushButton("Accept model labels at or above…")
        self.accept_button.setEnabled(False)
        self.accept_button.setToolTip(
            "Accepts the model labels of the items waiting for review (Status todo, Route "
            "review), whatever this list shows; greyed out while none is waiting"
        )
        self.accept_button.clicked.connect(
            lambda: self.bulk_accept_requested.emit(self.threshold.value() / 100)
        )
        bottom = QHBoxLayout()
        for widget in (self.count, self.open_button, self.unskip_button):
            bottom.addWidget(widget)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Review:"))
        bottom.addWidget(self.accept_button)
        bottom.addWidget(self.threshold)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(980, 560)

    # ---- in ------------------------------------------------------------------------------
    def set_annotators(self, names: list[str]) -> None:
        current = self.annotator.currentText()
        self.annotator.blockSignals(True)
        self.annotator.clear()
        self.annotator.addItems([ANY, *names])
        self.annotator.setCurrentText(current if current in names else ANY)
        self.annotator.blockSignals(False)

    def set_waiting(self, n: int) -> None:
        """How many items wait for review: bulk accept is offered while any do."""
        self.accept_button.setEnabled(n > 0)

    def show_list(self, name: str) -> None:
        """Preset the filters to one of ``LISTS`` (the sidebar's Done, Skipped, Flagged)."""
        where = LISTS[name]
        widgets = (self.status, self.route, self.source, self.annotator, self.flagged)
        for combo in widgets:
            combo.blockSignals(True)
        self.status.setCurrentText(where.status.value if where.status else ANY)
        self.route.setCurrentText(where.route.value if where.route else ANY)
        self.source.setCurrentText(ANY)
        self.annotator.setCurrentText(ANY)
        self.flagged.setCurrentText("flagged" if where.flagged else ANY)
        for combo in widgets:
            combo.blockSignals(False)
        self.tag.clear()
        self.search.clear()
        if name == "to_review":  # bulk review: the surest first
            self.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
        self.apply_filter()

    def current_filter(self) -> RecordFilter:
        def pick(combo: QComboBox) -> str | None:
            text = combo.currentText()
            return None if text == ANY else text

        status, route, flag = pick(self.status), pick(self.route), pick(self.flagged)
        return RecordFilter(
            status=None if status is None else Status(status),
            route=None if route is None else Route(route),
            label_source=pick(self.source),
            annotator=pick(self.annotator),
            flagged=None if flag is None else flag == "flagged",
            tag=self.tag.text().strip() or None,
            text=self.search.text().strip(),
        )

    def apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())

    # ---- out -----------------------------------------------------------------------------
    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(f"{n:,} item{'s' if n != 1 else ''}")
        self.unskip_button.setEnabled(self.model.where.status is Status.SKIPPED and n > 0)

    def _open_index(self, index: QModelIndex) -> None:
        record = self.model.record(index.row())
        if record is not None:
            self.item_opened.emit(record.item_id)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_index(rows[0])

    def _serve_skipped(self) -> None:
        self.serve_skipped_requested.emit(self.model.seqs())

"""Every action of the window in one table: id, text, shortcuts, menu group.

The window builds QActions (and its menus) from ``ACTIONS``; the shortcuts help overlay lists
the same table, so what the help says is what the keys do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: str
    text: str
    keys: tuple[str, ...]
    group: str


GROUPS = ("Project", "Label", "Listwise", "Item", "Model", "View", "Help")

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new_project", "New project…", ("Ctrl+N",), "Project"),
    ActionSpec("open_project", "Open project…", ("Ctrl+O",), "Project"),
    ActionSpec("import_files", "Import data…", ("Ctrl+I",), "Project"),
    ActionSpec("export", "Export…", ("Ctrl+E",), "Project"),
    ActionSpec("restore_backup", "Restore from backup…", (), "Project"),
    ActionSpec("conflicts", "Conflicting labels…", (), "Project"),
    ActionSpec("merge", "Merge projects…", (), "Project"),
    ActionSpec("adjudicate", "Adjudicate conflicts…", (), "Project"),
    ActionSpec("annotator", "Set annotator name", ("Ctrl+Shift+N",), "Project"),
    ActionSpec("queue_label", "Queue: to label", ("Ctrl+1",), "Project"),
    ActionSpec("queue_review", "Queue: to review", ("Ctrl+2",), "Project"),
    ActionSpec("browse", "Browse records…", ("Ctrl+B",), "Project"),
    ActionSpec("cancel_job", "Cancel background job", ("Ctrl+.",), "Project"),
    ActionSpec("quit", "Quit", ("Ctrl+Q",), "Project"),
    ActionSpec("left", "Left is better", ("A", "1"), "Label"),
    ActionSpec("right", "Right is better", ("B", "2"), "Label"),
    ActionSpec("left_much", "Left is much better", ("Shift+A",), "Label"),
    ActionSpec("right_much", "Right is much better", ("Shift+B",), "Label"),
    ActionSpec("tie", "Tie", ("T",), "Label"),
    ActionSpec("both_bad", "Both are bad", ("X",), "Label"),
    ActionSpec("accept", "Accept model label / submit form", ("Return", "Enter"), "Label"),
    ActionSpec("rationale", "Write a rationale", ("R",), "Label"),
    ActionSpec("select_prev", "Select previous response", ("Up", "K"), "Listwise"),
    ActionSpec("select_next", "Select next response", ("Down", "J"), "Listwise"),
    ActionSpec("rank_1", "Rank 1…9 for the selected response (digits)", ("1",), "Listwise"),
    ActionSpec("thumb_up", "Thumbs up on the selected response", ("U",), "Listwise"),
    ActionSpec("thumb_down", "Thumbs down on the selected response", ("D",), "Listwise"),
    ActionSpec("rate", "Rate the selected response 1…5", ("Alt+1",), "Listwise"),
    ActionSpec("clear_ranks", "Clear ranks", ("Backspace",), "Listwise"),
    ActionSpec("skip", "Skip item", ("S",), "Item"),
    ActionSpec("flag", "Flag item", ("F",), "Item"),
    ActionSpec("undo", "Undo last decision", ("Ctrl+Z",), "Item"),
    ActionSpec("back", "Previous item (history)", ("Left",), "Item"),
    ActionSpec("forward", "Next item (history)", ("Right",), "Item"),
    ActionSpec("import_judge", "Import judge verdicts…", (), "Model"),
    ActionSpec("train", "Train model", (), "Model"),
    ActionSpec("score", "Score with model", (), "Model"),
    ActionSpec("route", "Route items…", ("Ctrl+R",), "Model"),
    ActionSpec("simulate", "Simulate routing strategies", (), "Model"),
    ActionSpec("suggestions", "Show model suggestions while labelling", ("M",), "View"),
    ActionSpec("diff", "Highlight word differences", ("W",), "View"),
    ActionSpec("sync_scroll", "Synchronise scrolling", ("Ctrl+L",), "View"),
    ActionSpec("zoom_in", "Zoom in", ("Ctrl++", "Ctrl+="), "View"),
    ActionSpec("zoom_out", "Zoom out", ("Ctrl+-",), "View"),
    ActionSpec("zoom_reset", "Reset zoom", ("Ctrl+0",), "View"),
    ActionSpec("theme", "Theme: system / light / dark", ("Ctrl+Shift+T",), "View"),
    ActionSpec("help", "Keyboard shortcuts", ("?", "F1"), "Help"),
    ActionSpec("about", "About prefmark", (), "Help"),
)

# Keys that share an action id per digit: "1".."9" rank in listwise; "Alt+1".."Alt+5" rate.
RANK_KEYS = {f"rank_{n}": str(n) for n in range(1, 10)}
RATE_KEYS = {f"rate_{n}": f"Alt+{n}" for n in range(1, 6)}
CHECKABLE = {"suggestions", "diff", "sync_scroll"}


def build_actions(parent: QWidget, on_trigger: Callable[[str], None]) -> dict[str, QAction]:
    """QActions for the table, added to ``parent`` so their shortcuts work window-wide.

    Digits belong to pairwise picks (1/2) and to ranks; the controller resolves them by view,
    so the digit actions here carry ``rank_<n>`` ids and the pairwise ``1``/``2`` keys are
    left to them.
    """
    actions: dict[str, QAction] = {}
    digit_owned = set(RANK_KEYS.values()) | set(RATE_KEYS.values())
    for spec in ACTIONS:
        if spec.id in ("rank_1", "rate"):
            continue
        action = QAction(spec.text, parent)
        keys = [k for k in spec.keys if k not in digit_owned]
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(spec.id in CHECKABLE)
        action.triggered.connect(lambda _checked=False, i=spec.id: on_trigger(i))
        parent.addAction(action)
        actions[spec.id] = action
    for action_id, key in (RANK_KEYS | RATE_KEYS).items():
        action = QAction(action_id, parent)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False, i=action_id: on_trigger(i))
        parent.addAction(action)
        actions[action_id] = action
    actions["sync_scroll"].setChecked(True)
    return actions


def shortcut_rows() -> list[tuple[str, str, str]]:
    """(group, keys, what it does) for every action, for the help overlay."""
    return [(s.group, " / ".join(s.keys), s.text) for s in ACTIONS]


class ShortcutsDialog(QDialog):
    """The ? overlay: every action and its keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows()
        table = QTableWidget(len(rows), 3, self)
        table.setHorizontalHeaderLabels(["Group", "Keys", "Action"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 640)

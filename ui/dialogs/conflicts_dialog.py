"""Conflicting labels…: how the open project settles people's disagreeing labels of one item.

The policy is stored in the project. Training, the statistics, review, routing, the simulation
and exports all follow it (``labeler.resolution``), so it is chosen here once for all of them;
an export can still ask for another one for itself in its own options.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from labeler.resolution import POLICY_TEXT, RULE_TEXT, ConflictPolicy
from labeler.store.meta import UnknownPolicyError, get_conflict_policy, set_conflict_policy

CHOICES = {
    ConflictPolicy.MAJORITY: "Majority vote",
    ConflictPolicy.LATEST: "Latest label",
    ConflictPolicy.DROP: "Leave the item out",
    ConflictPolicy.DAWID_SKENE: "Most likely right (weighs each annotator by reliability)",
}


class ConflictsDialog(QDialog):
    """Radio buttons for the policies; OK emits the chosen one (the caller saves it)."""

    policy_chosen = Signal(object)  # ConflictPolicy

    def __init__(
        self, current: ConflictPolicy | None, problem: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Conflicting labels")
        intro = QLabel(
            "When people's labels of one item disagree, which one counts? Training, the "
            "statistics, review, routing and exports all follow this choice; an export can "
            "still choose differently in its own options."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.group = QButtonGroup(self)
        self.buttons: dict[ConflictPolicy, QRadioButton] = {}
        for policy, title in CHOICES.items():
            button = QRadioButton(f"{title}: {POLICY_TEXT[policy]}")
            button.setObjectName(f"conflicts_{policy.value}")
            button.setChecked(policy is current)
            self.group.addButton(button)
            self.buttons[policy] = button
            layout.addWidget(button)
        rule = QLabel(RULE_TEXT)
        rule.setWordWrap(True)
        layout.addWidget(rule)
        self.error_label = QLabel(html.escape(problem))
        self.error_label.setObjectName("conflicts_error")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(bool(problem))
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            parent=self,
        )
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> ConflictPolicy | None:
        return next((p for p, b in self.buttons.items() if b.isChecked()), None)

    def _ok(self) -> None:
        policy = self.chosen()
        if policy is None:
            self.show_error("Choose how conflicting labels count.")
            return
        self.policy_chosen.emit(policy)

    def show_error(self, text: str) -> None:
        self.error_label.setText(html.escape(text))
        self.error_label.setVisible(True)


def open_conflicts(window: Any) -> ConflictsDialog | None:
    """The dialog for the window's open project; the choice is saved as one guarded write."""
    controller = window.controller
    db = controller.db
    if db is None:
        window.statusBar().showMessage("Open a project to choose how conflicting labels count.")
        return None
    problem = ""
    try:
        current: ConflictPolicy | None = get_conflict_policy(db)
    except UnknownPolicyError as exc:
        current, problem = None, f"{str(exc).capitalize()}. Choosing one here replaces it."
    dialog = ConflictsDialog(current, problem, parent=window)

    def save(policy: ConflictPolicy) -> None:
        def saved(_result: object) -> None:
            dialog.accept()
            window.statusBar().showMessage(f"Conflicting labels: {CHOICES[policy]}", 4000)

        controller.writes.attempt(lambda: set_conflict_policy(db, policy), saved)

    dialog.policy_chosen.connect(save)
    dialog.open()
    return dialog

"""The team part of the Bias and agreement panel: agreement between annotators (with 95%
intervals and the number of items behind each number), each annotator's estimated accuracy,
and the labels the model and the judges dispute, most likely wrong first.

A view over ``labeler.team.TeamReport``, computed off the GUI thread (``ui.jobs.team_job``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)

from labeler.team import TeamReport
from labeler.team_agreement import Estimate
from ui.panels.formatting import DASH, count, pct, pct_interval
from ui.panels.table_model import RowsModel, read_only_table
from ui.plain import plain_label

AGREEMENT_HEADERS = ("Measure", "Value", "95% interval", "Items")
ACCURACY_HEADERS = ("Annotator", "Estimated accuracy")
QUEUE_HEADERS = ("Item", "Annotator", "Chose", "Chance it is wrong")
QUEUE_ROWS = 200
"""The re-review list shows the most likely wrong labels first; the count says how many more."""


def _value(e: Estimate) -> list[str]:
    """A row of the agreement table: undefined numbers say so instead of showing 0."""
    if e.value is None:
        return [e.name, "undefined", DASH, count(e.items)]
    interval = DASH if e.low is None or e.high is None else f"{e.low:.2f} to {e.high:.2f}"
    return [e.name, f"{e.value:.3f}", interval, count(e.items)]


class TeamSection(QWidget):
    """In: ``show_report(report)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agreement_model = RowsModel(AGREEMENT_HEADERS)
        self.accuracy_model = RowsModel(ACCURACY_HEADERS)
        self.queue_model = RowsModel(QUEUE_HEADERS)
        self.agreement_view = read_only_table(self.agreement_model)
        self.accuracy_view = read_only_table(self.accuracy_model)
        self.queue_view = read_only_table(self.queue_model)
        self.agreement_note = plain_label()
        self.errors_label = plain_label()
        for label in (self.agreement_note, self.errors_label):
            label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Agreement between annotators (chance-corrected; 1 = perfect)"))
        layout.addWidget(self.agreement_note)
        layout.addWidget(self.agreement_view)
        layout.addWidget(QLabel("Estimated accuracy of each annotator and AI (no gold needed)"))
        layout.addWidget(self.accuracy_view)
        layout.addWidget(QLabel("Labels to check again: disputed by the model and the AI judges"))
        layout.addWidget(self.errors_label)
        layout.addWidget(self.queue_view)
        self.show_report(None)

    def show_report(self, report: TeamReport | None) -> None:
        if report is None:
            self.agreement_note.setText("Needs two annotators who labelled the same items.")
            self.errors_label.setText("No labels checked yet.")
            for model in (self.agreement_model, self.accuracy_model, self.queue_model):
                model.set_rows([])
            return
        self._show_agreement(report)
        self._show_quality(report)

    def _show_agreement(self, report: TeamReport) -> None:
        agreement = report.agreement
        rows = [_value(e) for e in agreement.overall]
        for p in agreement.pairs:
            row = _value(p.kappa)
            row[0] = f"Cohen's kappa, {p.first} and {p.second} (same answer {pct(p.agree, 0)})"
            rows.append(row)
        rows += [_value(e) for e in agreement.rankings]
        self.agreement_model.set_rows(rows)
        self.agreement_note.setText(
            "Needs two annotators who labelled the same items."
            if agreement.empty
            else "Pairwise choices count as A better, tie, or B better; each number uses "
            "only the items it names."
        )

    def _show_quality(self, report: TeamReport) -> None:
        quality = report.quality
        self.accuracy_model.set_rows(
            [
                [f"{name} (AI)" if name in quality.ai_sources else name, pct(acc)]
                for name, acc in quality.accuracy.items()
            ]
        )
        share = quality.share
        if not quality.checked:
            text = "Checking labels needs AI judge labels or model scores on the labelled items."
        else:
            shown = min(len(quality.queue), QUEUE_ROWS)
            text = (
                f"{len(quality.queue):,} of {quality.labels:,} people's labels are confidently "
                f"disputed by {quality.evidence}; the {shown:,} most likely wrong are listed "
                "first. "
            )
            text += (
                "The share of wrong labels needs items with two or more labels."
                if share is None or share.value is None
                else f"Estimated share of wrong labels: {pct(share.value)} "
                f"(95% interval {pct_interval(share.low, share.high)})."
            )
        self.errors_label.setText(text)
        self.queue_model.set_rows(
            [
                [s.item_id[:12], s.annotator, s.choice, pct(s.p_wrong, 0)]
                for s in quality.queue[:QUEUE_ROWS]
            ]
        )

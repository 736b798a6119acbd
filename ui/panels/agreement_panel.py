"""Bias and agreement at a glance: left-pick share per labeller, human-AI agreement, speed,
and the team's numbers (``team``: agreement between annotators and label quality).

A view over ``labeler.agreement.AgreementReport``; the report is computed off the GUI thread
(``ui.jobs.agreement_job``) and handed in with ``show_report``; the team's numbers come from
``ui.jobs.team_job`` into ``team.show_report``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeler.agreement import AI, Agreement, AgreementReport, PositionBias
from ui.panels.formatting import DASH, count, pct, pct_interval, rate, seconds
from ui.panels.table_model import RowsModel, read_only_table
from ui.panels.team_section import TeamSection
from ui.plain import plain_label

BIAS_HEADERS = ("Labeller", "Left picks", "95% interval", "Decisive", "Tie / both bad")
AGREEMENT_HEADERS = (
    "AI",
    "Items with both",
    "Decisive",
    "Agreement",
    "95% interval",
    "Left out: trained on",
)
IN_SAMPLE_TIP = (
    "{n:,} items are left out: the model was trained on their human labels, so agreeing "
    "with them says nothing about new items."
)
TIME_HEADERS = ("Annotator", "Labels", "Median", "90th pct", "Rate")


def is_biased(bias: PositionBias) -> bool:
    """True when the 95% interval of the left share excludes 50%: a real side preference."""
    iv = bias.interval
    return iv is not None and (iv.high < 0.5 or iv.low > 0.5)


def agreement_sentence(a: Agreement) -> str:
    """The overall agreement in words, saying which subset it counts and what it leaves out."""
    if a.rate is not None:
        text = f"Humans and AI agree on {pct(a.rate)} of {a.decisive:,} decisive items"
        text += f" (of {a.both:,} with both labels)." if a.both != a.decisive else "."
    elif a.both:
        text = f"No decisive item among {a.both:,} with both labels (ties or both bad)."
    else:
        text = "No independent check yet."
    if a.in_sample:
        text += (
            f" {a.in_sample:,} items are left out: the model was trained on their labels "
            "(label new items, or see the held-out check from training)."
        )
    return text


class AgreementPanel(QWidget):
    """In: ``show_report(report)``. Out: ``refresh_requested`` (the user wants new numbers)."""

    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bias_model = RowsModel(BIAS_HEADERS)
        self.agreement_model = RowsModel(AGREEMENT_HEADERS)
        self.time_model = RowsModel(TIME_HEADERS)
        self.bias_view = read_only_table(self.bias_model)
        self.agreement_view = read_only_table(self.agreement_model)
        self.time_view = read_only_table(self.time_model)
        self.summary = plain_label("No labels yet.")
        self.summary.setWordWrap(True)
        self.review_label = plain_label()
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)

        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Bias and agreement</b>"))
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(
            QLabel("Position bias: share of decisive picks that went to the left side")
        )
        layout.addWidget(self.bias_view)
        layout.addWidget(QLabel("Human–AI agreement (independent human labels)"))
        layout.addWidget(self.agreement_view)
        layout.addWidget(self.review_label)
        layout.addWidget(QLabel("Time per item"))
        layout.addWidget(self.time_view)
        self.team = TeamSection()
        layout.addWidget(self.team)

    def set_busy(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy)
        if busy:
            self.summary.setText("Counting…")

    def show_report(self, report: AgreementReport) -> None:
        self._show_bias(report)
        self._show_agreement(report)
        self._show_time(report)
        self.summary.setText(self._summary_text(report))

    # ---- sections ------------------------------------------------------------------------

    def _show_bias(self, report: AgreementReport) -> None:
        rows, tips, warn = [], [], []
        for b in report.position_bias:
            iv = b.interval
            name = f"{b.annotator} ({AI})" if b.group == AI else b.annotator
            rows.append(
                [
                    name,
                    pct(b.left_share),
                    pct_interval(iv.low if iv else None, iv.high if iv else None),
                    count(b.decisive),
                    count(b.undecided),
                ]
            )
            biased = is_biased(b)
            warn.append(biased)
            tips.append(
                f"{b.annotator} picks the left side more or less often than chance would explain."
                if biased
                else None
            )
        self.bias_model.set_rows(rows, tips, warn)

    def _show_agreement(self, report: AgreementReport) -> None:
        rows: list[list[str]] = []
        tips: list[str | None] = []
        for a in report.agreement:
            iv = a.interval
            rows.append(
                [
                    "all AI labels" if a.annotator == "all" else a.annotator,
                    count(a.both),
                    count(a.decisive),
                    pct(a.rate),
                    pct_interval(iv.low if iv else None, iv.high if iv else None),
                    count(a.in_sample),
                ]
            )
            tips.append(IN_SAMPLE_TIP.format(n=a.in_sample) if a.in_sample else None)
        self.agreement_model.set_rows(rows, tips)
        if report.reviewed:
            share = report.accepted / report.reviewed
            self.review_label.setText(
                f"Review: {report.accepted:,} of {report.reviewed:,} AI labels accepted "
                f"({pct(share)}), {report.reviewed - report.accepted:,} overridden."
            )
        else:
            self.review_label.setText("Review: no AI labels reviewed yet.")

    def _show_time(self, report: AgreementReport) -> None:
        self.time_model.set_rows(
            [
                [
                    t.annotator,
                    count(t.n),
                    seconds(t.median_ms),
                    seconds(t.p90_ms),
                    rate(t.labels_per_hour, t.n),
                ]
                for t in report.time
            ]
        )

    @staticmethod
    def _summary_text(report: AgreementReport) -> str:
        if not report.position_bias and not report.time:
            return "No labels yet."
        parts = []
        biased = [b.annotator for b in report.position_bias if is_biased(b)]
        if biased:
            parts.append("Side preference: " + ", ".join(biased) + ".")
        overall = report.overall_agreement
        if overall is not None:
            parts.append(agreement_sentence(overall))
        if report.time:
            timed = sum(t.n for t in report.time)
            shown = rate(report.labels_per_hour, timed)
            parts.append(f"Team rate: {shown}." if report.labels_per_hour else f"Team {shown}.")
        return " ".join(parts) or DASH

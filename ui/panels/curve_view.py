"""The routing curve: accuracy against human budget, one line per strategy.

Draws the simulation's CSV with QPainter (crisp at any size, follows the palette), or shows the
simulation's PNG when only the picture exists. The legend sits below the plot, under the axis
title, wrapped into as many rows as the width needs: the curves of all strategies meet at both
ends of the budget axis, so no corner of the plot is reliably free of data.
``read_curve_csv`` is a plain function so the controller can read the file in a worker and
hand the series in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

Series = Mapping[str, Sequence[tuple[float, float]]]

# Column names the simulation may use for the budget and for metric (a), most specific first.
BUDGET_COLUMNS = ("budget", "human_budget", "budget_fraction")
VALUE_COLUMNS = ("hybrid_acc", "hybrid_mean", "hybrid_accuracy", "accuracy", "mean")
ORACLE_COLUMN = "oracle_acc"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")


class CurveFormatError(ValueError):
    """The CSV lacks a strategy, budget or accuracy column."""


def _pick(header: Sequence[str], names: Sequence[str], what: str) -> str:
    lowered = {h.lower().strip(): h for h in header}
    for name in names:
        if name in lowered:
            return lowered[name]
    raise CurveFormatError(f"no {what} column (looked for {', '.join(names)})")


def read_curve_csv(
    path: Path, value_column: str | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Mean accuracy per strategy and budget (over seeds) from a simulation CSV.

    Budgets given in percent become fractions; an ``oracle_acc`` column becomes an
    ``oracle`` series (the upper bound), placed last. Strategies keep the file's order, the
    order the simulation's own plot gives them colours in.
    """
    sums: dict[tuple[str, float], list[float]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        strategy = _pick(header, ("strategy",), "strategy")
        budget = _pick(header, BUDGET_COLUMNS, "budget")
        value = value_column or _pick(header, VALUE_COLUMNS, "accuracy")
        oracle = ORACLE_COLUMN if ORACLE_COLUMN in header else None
        for row in reader:
            try:
                x, y = float(row[budget]), float(row[value])
            except (TypeError, ValueError):
                continue
            if y == y:  # NaN: a metric that could not be computed for this seed
                sums.setdefault((row[strategy], x), []).append(y)
            if oracle and row.get(oracle):
                sums.setdefault(("oracle", x), []).append(float(row[oracle]))
    scale = 100.0 if any(x > 1.0 for _, x in sums) else 1.0
    names = sorted(dict.fromkeys(name for name, _ in sums), key=lambda n: n == "oracle")
    series: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for (name, x), ys in sorted(sums.items(), key=lambda kv: kv[0][1]):
        series[name].append((x / scale, sum(ys) / len(ys)))
    return series


class CurveView(QWidget):
    """In: ``set_series(series)`` or ``set_image(path)``; ``set_marker(budget)`` marks a budget."""

    MARGIN = (44, 12, 22, 30)  # left, top, right, bottom (tick labels and the axis title)
    SWATCH = 18  # the length of a legend entry's line sample
    GAP = 14  # between legend entries

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(260, 210)  # room for a plot above a two-row legend
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._series: dict[str, list[tuple[float, float]]] = {}
        self._pixmap: QPixmap | None = None
        self._marker: float | None = None
        self.message = "Run a simulation to see how accuracy grows with the human budget."

    @property
    def series(self) -> dict[str, list[tuple[float, float]]]:
        return self._series

    def set_series(self, series: Series) -> None:
        self._series = {k: sorted(v) for k, v in series.items() if v}
        self._pixmap = None
        self.update()

    def set_image(self, path: Path) -> bool:
        """Show a picture of the curve; False (and nothing changes) if it cannot be read."""
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            return False
        self._pixmap, self._series = pixmap, {}
        self.update()
        return True

    def has_curve(self) -> bool:
        return bool(self._series) or self._pixmap is not None

    def set_marker(self, budget: float | None) -> None:
        self._marker = budget
        self.update()

    def clear(self) -> None:
        self._series, self._pixmap = {}, None
        self.update()

    # ---- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            if self._pixmap is not None:
                scaled = self._pixmap.scaled(
                    self.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                painter.drawPixmap((self.width() - scaled.width()) // 2, 0, scaled)
            elif self._series:
                self._paint_series(painter)
            else:
                painter.drawText(
                    self.rect(),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self.message,
                )
        finally:
            painter.end()

    def plot_rect(self) -> QRectF:
        """Where the curves are drawn: every plotted point lies inside."""
        left, top, right, bottom = self.MARGIN
        height = self.height() - top - bottom - self._legend_height()
        return QRectF(left, top, self.width() - left - right, height)

    def legend_entries(self) -> list[tuple[str, QColor, QRectF]]:
        """(series, colour, rectangle) of each legend entry, in rows below the axis title."""
        colours = self._colours()
        if not colours:
            return []
        metrics = QFontMetricsF(self.font(), self)  # as painted on this widget
        line_h = metrics.height()
        left, _top, right, _bottom = self.MARGIN
        x, row, rows = float(left), 0, []
        for name in colours:
            width = min(self.SWATCH + 6 + metrics.horizontalAdvance(name),
                        self.width() - left - right)  # fmt: skip
            if x > left and x + width > self.width() - right:
                x, row = float(left), row + 1
            rows.append((name, x, row, width))
            x += width + self.GAP
        top = self.height() - (row + 1) * line_h - 2
        return [
            (name, colours[name], QRectF(x, top + r * line_h, width, line_h))
            for name, x, r, width in rows
        ]

    def point_px(self, x: float, y: float) -> QPointF:
        """Where the point (budget, accuracy) is drawn."""
        return self._to_px()(x, y)

    def _to_px(self) -> Callable[[float, float], QPointF]:
        rect = self.plot_rect()
        y_lo, y_hi = self._y_range()

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(
                rect.left() + x * rect.width(),
                rect.bottom() - (y - y_lo) / (y_hi - y_lo) * rect.height(),
            )

        return to_px

    def _legend_height(self) -> float:
        entries = self.legend_entries()
        return self.height() - min(r.top() for *_, r in entries) + 2 if entries else 0.0

    def _y_range(self) -> tuple[float, float]:
        ys = [y for points in self._series.values() for _, y in points]
        y_lo, y_hi = min(ys), max(ys)
        pad = max(0.02, (y_hi - y_lo) * 0.08)
        y_lo, y_hi = max(0.0, y_lo - pad), min(1.0, y_hi + pad)
        if y_hi <= y_lo:
            y_lo, y_hi = y_lo - 0.05, y_hi + 0.05
        return y_lo, y_hi

    def _colours(self) -> dict[str, QColor]:
        """Each series' colour, in the order given: strategies take the palette in turn (as
        in the simulation's picture), the oracle bound is drawn in the text colour."""
        colours, i = {}, 0
        for name in self._series:
            if name.lower() == "oracle":
                colours[name] = self.palette().windowText().color()
            else:
                colours[name], i = QColor(PALETTE[i % len(PALETTE)]), i + 1
        return colours

    @staticmethod
    def _pen(name: str, colour: QColor) -> QPen:
        pen = QPen(colour, 2)
        if name.lower() == "oracle":
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def _paint_series(self, painter: QPainter) -> None:
        rect = self.plot_rect()
        y_lo, y_hi = self._y_range()
        text_colour = self.palette().windowText().color()
        grid = QColor(text_colour)
        grid.setAlpha(50)
        painter.setPen(QPen(grid, 1))
        for i in range(5):
            x = rect.left() + rect.width() * i / 4
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            y = rect.bottom() - rect.height() * i / 4
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
        painter.setPen(text_colour)
        for i in range(5):
            x = rect.left() + rect.width() * i / 4
            centre = Qt.AlignmentFlag.AlignHCenter
            painter.drawText(QRectF(x - 20, rect.bottom() + 2, 40, 14), centre, f"{25 * i}%")
            value = y_lo + (y_hi - y_lo) * i / 4
            y = rect.bottom() - rect.height() * i / 4
            painter.drawText(QRectF(0, y - 7, rect.left() - 4, 14), Qt.AlignmentFlag.AlignRight,
                             f"{100 * value:.0f}%")  # fmt: skip
        painter.drawText(QRectF(rect.left(), rect.bottom() + 14, rect.width(), 14),
                         Qt.AlignmentFlag.AlignHCenter, "human budget")  # fmt: skip

        to_px = self._to_px()
        painter.save()
        painter.setClipRect(rect.adjusted(-2, -2, 2, 2))  # a line never strays into the legend
        colours = self._colours()
        for name, points in self._series.items():
            painter.setPen(self._pen(name, colours[name]))
            path = QPainterPath(to_px(*points[0]))
            for x, y in points[1:]:
                path.lineTo(to_px(x, y))
            painter.drawPath(path)
        painter.restore()

        for name, colour, box in self.legend_entries():
            painter.setPen(self._pen(name, colour))
            mid = box.center().y()
            painter.drawLine(QPointF(box.left(), mid), QPointF(box.left() + self.SWATCH, mid))
            painter.setPen(text_colour)
            text_box = box.adjusted(self.SWATCH + 4, 0, 0, 0)
            shown = painter.fontMetrics().elidedText(
                name, Qt.TextElideMode.ElideRight, int(text_box.width())
            )
            painter.drawText(text_box, Qt.AlignmentFlag.AlignVCenter, shown)

        if self._marker is not None:
            painter.setPen(QPen(text_colour, 1, Qt.PenStyle.DotLine))
            x = rect.left() + self._marker * rect.width()
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

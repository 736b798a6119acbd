"""The routing chart's legend never covers its curves, in the window at small and large sizes
and in a chart too narrow for one row of entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QDockWidget
from ui_helpers import make_project, pair_items

from labeler.routing.simulate import SimRow, write_csv
from ui.panel_wiring import simulation_dir
from ui.panels.curve_view import PALETTE, CurveView, read_curve_csv

pytestmark = pytest.mark.gui

BUDGETS = [i / 20 for i in range(21)]
# Every curve starts at the AI's accuracy and ends at 100%: the corners of the plot are full.
CURVES = {
    "random": lambda b: 0.74 + 0.26 * b,
    "margin": lambda b: 0.74 + 0.26 * b**0.6,
    "ensemble": lambda b: 0.74 + 0.26 * b**0.5,
    "learned": lambda b: 0.74 + 0.26 * b**0.45,
    "hyper": lambda b: 0.74 + 0.26 * b**0.9,
}


def _simulation_csv(path: Path) -> Path:
    rows = [
        SimRow(
            name,
            b,
            0,
            round(100 * b),
            round(100 * b),
            curve(b),
            float("nan"),
            min(1.0, 0.74 + 1.04 * b),
            0.74,
        )
        for name, curve in CURVES.items()
        for b in BUDGETS
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, path)
    return path


def _assert_legend_clear_of_data(curve: CurveView) -> None:
    entries = curve.legend_entries()
    assert sorted(name for name, _c, _r in entries) == sorted(curve.series)
    plot = curve.plot_rect()
    assert plot.height() > 60
    widget = QRectF(curve.rect())
    points = [curve.point_px(x, y) for series in curve.series.values() for x, y in series]
    lines = QRectF(plot.adjusted(-2, -2, 2, 2))  # the pen's width around the plotted lines
    assert all(lines.contains(p) for p in points)
    axis_labels_bottom = plot.bottom() + curve.MARGIN[3]  # tick labels and the axis title
    for name, _colour, box in entries:
        assert widget.contains(box), name  # not cut off
        assert not box.intersects(lines), name
        assert box.top() >= axis_labels_bottom, name
        assert not any(box.contains(QPointF(p)) for p in points), name
    boxes = [box for *_, box in entries]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("size", [(1024, 640), (1920, 1080)])
def test_the_legend_stays_off_the_curves_in_the_window(
    qtbot, window_factory, tmp_path, size
) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p.db", pair_items(3))
    _simulation_csv(simulation_dir(project) / "routing_simulation.csv")
    window = window_factory(project)
    window.resize(*size)
    dock = window.findChild(QDockWidget, "panel-routing")
    dock.raise_()
    curve = window.panels.routing.curve
    qtbot.waitUntil(lambda: curve.isVisible() and set(curve.series) == {*CURVES, "oracle"})
    qtbot.waitUntil(lambda: window.width() == size[0])
    _assert_legend_clear_of_data(curve)
    assert curve.grab().toImage().width() == curve.width()  # it paints at this size


@pytest.mark.parametrize("width", [260, 420, 900])
def test_the_legend_wraps_into_rows_below_the_plot(qtbot, tmp_path, width) -> None:  # type: ignore[no-untyped-def]
    series = read_curve_csv(_simulation_csv(tmp_path / "sim.csv"))
    series["a strategy with a very long name indeed, longer than the chart"] = series["random"]
    curve = CurveView()
    qtbot.addWidget(curve)
    curve.set_series(series)
    curve.resize(width, 300)
    curve.show()
    qtbot.waitExposed(curve)
    _assert_legend_clear_of_data(curve)
    rows = {box.top() for *_, box in curve.legend_entries()}
    assert len(rows) >= 2


def test_strategies_keep_the_colours_of_the_simulation_picture(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The picture colours strategies in the file's order (random first); so does the chart,
    and the oracle bound is drawn in the text colour, as the picture draws it in black."""
    curve = CurveView()
    qtbot.addWidget(curve)
    curve.set_series(read_curve_csv(_simulation_csv(tmp_path / "sim.csv")))
    colours = {name: colour.name() for name, colour, _box in curve.legend_entries()}
    assert list(colours) == [*CURVES, "oracle"]
    assert [colours[n] for n in CURVES] == list(PALETTE[: len(CURVES)])
    assert colours["oracle"] == curve.palette().windowText().color().name()

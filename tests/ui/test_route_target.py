"""The routing panel's quality target on a real project: the plan's trade-off is shown
before anything is routed, routing happens only on confirm, and the last run says what it
promised."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QMessageBox

from labeler.cli import main
from labeler.cli.route_cmd import route_command
from labeler.routing.target import DEFAULT_TARGET, TARGET_BOUNDS
from tests.core.test_route_target_cli import make_project, review_audit
from ui.panels.target_spin import TargetSpin

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))


def _to_people(project: Path) -> int:
    with sqlite3.connect(project) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM items WHERE route = 'human' AND status = 'todo'"
            ).fetchone()[0]
        )


def test_target_accuracy_shows_the_plan_and_routes_only_on_confirm(  # type: ignore[no-untyped-def]
    qtbot, window_factory, tmp_path
) -> None:
    project = tmp_path / "p.db"
    truth = make_project(project)
    result = CliRunner().invoke(main, ["route", str(project), "--budget", "0", "--audit", "0.3"])
    assert result.exit_code == 0, result.output
    review_audit(project, truth)
    preview = CliRunner().invoke(
        main, ["route", str(project), "--target-accuracy", "0.95", "--preview"]
    )
    table = preview.output.split("\n\n")[0]  # the CLI's trade-off, for the same plan
    planned = int(table.split("confidence: ")[1].split(" of ")[0])
    assert _to_people(project) == 0
    window = window_factory(project)
    panel = window.panels.routing
    panel.target_spin.setValue(95.0)

    def box() -> QMessageBox | None:
        found = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        return found[0] if found else None

    def ask() -> QMessageBox:
        panel.route_button.click()
        qtbot.waitUntil(lambda: box() is not None, timeout=60_000)
        shown = box()
        assert shown is not None
        return shown

    shown = ask()
    text = QTextDocumentFragment.fromHtml(shown.text()).toPlainText()
    assert text.startswith(f"Send {planned:,} of ")
    shown_lines = text.splitlines()
    for line in table.splitlines():  # the CLI's sentence, and its table's rows as they are
        assert line in shown_lines if line.startswith("  ") else line in text
    assert "prefmark" not in text
    assert "--" not in text
    route = next(b for b in shown.buttons() if "Route" in b.text())
    assert route.text() == f"Route {planned:,} items to people"
    shown.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: box() is None)
    assert _to_people(project) == 0  # cancelled: nothing routed

    shown = ask()
    next(b for b in shown.buttons() if "Route" in b.text()).click()
    expected = f"learned, target 95% accuracy (90% confidence): {planned:,} items to people"
    qtbot.waitUntil(lambda: panel.last_run_label.text() == expected, timeout=60_000)
    assert _to_people(project) == planned
    assert f"{planned:,} items to people" in window.statusBar().currentMessage()


def test_target_box_takes_the_cli_bounds_and_starts_at_a_sensible_target(qtbot) -> None:  # type: ignore[no-untyped-def]
    spin = TargetSpin()
    qtbot.addWidget(spin)
    assert spin.target is None
    assert spin.text() == "off: use the budget"
    spin.stepUp()
    assert spin.target == pytest.approx(DEFAULT_TARGET) == pytest.approx(0.9)
    spin.setValue(20.0)  # below the bounds: clamped to off
    assert spin.target is None
    spin.setValue(100.0)
    assert spin.target == pytest.approx(0.999)  # the highest below 100%
    spin.setValue(TARGET_BOUNDS[0] * 100)
    assert spin.target == TARGET_BOUNDS[0]
    spin.stepDown()
    assert spin.target is None
    # The CLI takes the same range: its lowest accepted value is the box's lowest target.
    option = next(p for p in route_command.params if p.name == "target_accuracy")
    assert (option.type.min, option.type.max) == TARGET_BOUNDS  # type: ignore[attr-defined]
    assert option.type.max_open  # type: ignore[attr-defined]

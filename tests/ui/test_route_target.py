"""The routing panel's quality target on a real project: the plan is shown after routing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtWidgets import QMessageBox

from labeler.cli import main
from tests.core.test_route_target_cli import make_project, review_audit

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))


def test_target_accuracy_routes_and_shows_the_trade_off(qtbot, window_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "p.db"
    truth = make_project(project)
    result = CliRunner().invoke(main, ["route", str(project), "--budget", "0", "--audit", "0.3"])
    assert result.exit_code == 0, result.output
    review_audit(project, truth)
    window = window_factory(project)
    panel = window.panels.routing
    panel.target_spin.setValue(95.0)
    panel.route_button.click()

    def box() -> QMessageBox | None:
        found = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: box() is not None, timeout=60_000)
    shown = box()
    assert shown is not None
    text = shown.text()
    assert "To be at least 95% accurate with 90% confidence:" in text
    assert "<- plan" in text
    assert "prefmark" not in text
    assert "--" not in text
    assert "To be at least 95%" in window.statusBar().currentMessage()
    shown.close()

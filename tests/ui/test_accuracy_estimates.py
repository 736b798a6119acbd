"""One audit, one estimate: the routing panel and the export's warning show the same numbers
for the model's labels, and the panel names which accuracy each of its numbers is, in full."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.routing.audit import FINISHED_SET, MODEL_LABELS
from labeler.store.routes import RouteCounts
from labeler.types import Route, Status
from tests.core.test_route_target_cli import make_project
from tests.core.test_target_after_review import review_in_queue
from ui.dialogs.export_check import confirm_export
from ui.panel_wiring import scrollable
from ui.panels.routing_panel import RoutingPanel
from ui.panels.routing_snapshot import RoutingSnapshot

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))


def test_panel_and_export_warning_agree_on_the_audit_estimate(  # type: ignore[no-untyped-def]
    qtbot, window_factory, tmp_path
) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    routed = CliRunner().invoke(main, ["route", str(project), "--budget", "0", "--audit", "0.02"])
    assert routed.exit_code == 0, routed.output
    audited = review_in_queue(project, overrides=1)
    assert audited == 8
    window = window_factory(project)
    label = window.panels.routing.accuracy_label
    qtbot.waitUntil(lambda: MODEL_LABELS in label.text(), timeout=30_000)
    lines = label.text().splitlines()
    model_line = next(line for line in lines if line.startswith(f"of {MODEL_LABELS}: "))
    model = model_line.removeprefix(f"of {MODEL_LABELS}: ")
    # 7 of 8 confirmed: 87.5%, Wilson 95% interval
    assert model == "87.5% (95% interval 52.9–97.8%, from 8 audited items)"
    whole_line = next(line for line in lines if line.startswith(f"of {FINISHED_SET}: "))
    assert "people's labels counted as right" in whole_line

    options = SimpleNamespace(source=SimpleNamespace(value="finished"))
    box = confirm_export(window, window.controller.db, options, lambda: None)
    assert box is not None  # below 90%: the export asks first
    assert f"Estimated accuracy of {MODEL_LABELS}: {model}." in box.text()
    box.close()


def test_long_estimates_are_shown_whole_in_a_narrow_panel(qtbot) -> None:  # type: ignore[no-untyped-def]
    counts = RouteCounts({(Route.MODEL, Status.DONE): 30, (Route.REVIEW, Status.TODO): 4}, 0)
    snapshot = RoutingSnapshot(
        counts=counts, accuracy=0.93, accuracy_interval=(0.78, 0.987), ai_accuracy=0.8,
        ai_interval=(0.376, 0.964), audited=5, more_audits=1530,
    )  # fmt: skip
    panel = RoutingPanel()
    area = scrollable(panel)
    qtbot.addWidget(area)
    area.resize(340, 600)
    area.show()
    panel.show_snapshot(snapshot)
    label = panel.accuracy_label
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    assert label.text().count("\n") == 2  # three lines of text, wrapped into more
    assert label.heightForWidth(label.width()) > 5 * label.fontMetrics().lineSpacing()

"""Numbers on screen say what they count: in-sample agreement, subsets, scales, sources."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ui_helpers import list_item, make_project, pair_items, press

from labeler.agreement import Agreement
from labeler.db import open_db
from labeler.session import shown_order_for
from labeler.store import record_label
from labeler.store.routes import RouteCounts
from labeler.types import Label, PairChoice, PairwiseValue, RankingValue, Route, Source, Status
from ui.panels.agreement_panel import agreement_sentence
from ui.panels.routing_panel import RoutingPanel, RoutingSnapshot
from ui.views.queue_progress import progress_text


def test_agreement_sentence_names_the_subset_and_the_in_sample_items() -> None:
    text = agreement_sentence(Agreement("all", both=29, decisive=21, agree=20, in_sample=31))
    assert "95.2% of 21 decisive items (of 29 with both labels)" in text
    assert "31 items are left out: the model was trained on their labels" in text


def test_agreement_sentence_without_an_independent_check_says_so() -> None:
    text = agreement_sentence(Agreement("all", both=0, decisive=0, agree=0, in_sample=21))
    assert text.startswith("No independent check yet.")
    assert "100%" not in text


def _review_project(tmp_path: Path, label: Label | None = None, items: list | None = None) -> Path:
    items = items or pair_items(1)
    project = make_project(tmp_path / "p.db", items)
    db = open_db(project)
    db.conn.execute("UPDATE items SET route = 'review'")
    db.conn.commit()
    for item in items:
        record_label(
            db,
            replace(label, item_id=item.id)
            if label is not None
            else Label(item.id, PairwiseValue(PairChoice.B), Source.MODEL, "gpt-3.5-turbo",
                       model_version="gpt-3.5-turbo", confidence=0.82),
        )  # fmt: skip
    db.conn.close()
    return project


def test_review_banner_names_the_source_once_with_confidence_on_its_scale(
    window_factory, tmp_path: Path
) -> None:
    window = window_factory(_review_project(tmp_path))
    press(window, "ctrl+2")
    text = window.page.banner.text.text()
    assert text.count("gpt-3.5-turbo") == 1
    assert "confidence 82% (50% = chance)" in text


def test_review_banner_never_shows_a_hash_as_the_source(window_factory, tmp_path: Path) -> None:
    digest = "3f2a9c" * 7  # a 42-character hash as model version
    label = Label("x", PairwiseValue(PairChoice.A), Source.MODEL, "prefmark-default",
                  model_version=digest)  # fmt: skip
    window = window_factory(_review_project(tmp_path, label))
    press(window, "ctrl+2")
    text = window.page.banner.text.text()
    assert "prefmark-default" in text
    assert digest not in text
    assert "confidence not given" in text


def test_the_suggested_side_is_marked_on_the_response_itself(
    window_factory, tmp_path: Path
) -> None:
    items = pair_items(1)
    window = window_factory(_review_project(tmp_path, items=items))
    press(window, "ctrl+2")
    pair = window.page.pair
    order = shown_order_for(items[0].id, 2, window.controller.seed)
    picked = pair.left if order[0] == 1 else pair.right  # the model chose stored response B
    other = pair.right if picked is pair.left else pair.left
    assert "★ model's pick" in picked.header.text()
    assert picked.suggested
    assert not other.suggested
    assert "model's pick" not in other.header.text()
    press(window, "ctrl+1")  # labelling without suggestions: nothing is marked
    assert "model's pick" not in pair.left.header.text() + pair.right.header.text()


def test_the_suggested_ranks_are_shown_on_each_listwise_row(
    window_factory, tmp_path: Path
) -> None:
    item = list_item(3)
    label = Label("x", RankingValue((2, 1, 3)), Source.MODEL, "rm", confidence=0.6)
    window = window_factory(_review_project(tmp_path, label, [item]))
    press(window, "ctrl+2")
    rank = window.page.rank
    order = shown_order_for(item.id, 3, window.controller.seed)
    for row in range(3):
        stored = order[rank.list.positions()[row]]
        assert f"model: #{(2, 1, 3)[stored]}" in rank.list.item(row).text()


def test_more_reviews_needed_never_exceeds_what_can_be_reviewed(qtbot) -> None:
    counts = RouteCounts({(Route.MODEL, Status.DONE): 30, (Route.REVIEW, Status.TODO): 4}, 0)
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(RoutingSnapshot(counts=counts, accuracy=0.9, audited=6, more_audits=900))
    text = panel.accuracy_label.text()
    assert "only 34 model labels are left to review" in text
    assert "about 900 more reviews for" not in text


def test_progress_line_counts_the_queue_being_labelled(window_factory, tmp_path: Path, qtbot):
    window = window_factory(make_project(tmp_path / "p.db", pair_items(4)))
    press(window, "a")
    progress = window.page.progress
    shown = progress.text
    qtbot.waitUntil(
        lambda: shown.text().replace("\u00a0", " ").startswith("Item 2 of 4   ·   3 to")
    )
    assert (progress.bar.value(), progress.bar.maximum()) == (1, 4)
    qtbot.waitUntil(lambda: window.queues.item(0).text() == "To label: 3")  # the same count
    counts = RouteCounts({(Route.HUMAN, Status.DONE): 30, (Route.HUMAN, Status.TODO): 90}, 0)
    text, _value, _max = progress_text(counts, 180.0, Route.HUMAN)
    assert text == "Item 31 of 120   ·   90 to label   ·   180 / h   ·   about 30 min left"


def test_a_long_progress_line_wraps_instead_of_squeezing_the_panels(
    window_factory, tmp_path: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDockWidget

    window = window_factory(make_project(tmp_path / "p.db", pair_items(4)))
    window.resize(1024, 640)
    dock = window.findChild(QDockWidget, "panel-routing")
    qtbot.waitUntil(lambda: window.width() == 1024 and window.page.progress.isVisible())
    width = dock.width()
    counts = RouteCounts(
        {(Route.HUMAN, Status.DONE): 143_210, (Route.HUMAN, Status.TODO): 1_171_000,
         (Route.HUMAN, Status.SKIPPED): 12_345}, 0
    )  # fmt: skip
    window.page.progress.show_progress(counts, 533.0, Route.HUMAN)
    qtbot.wait(50)
    assert dock.width() == width
    assert window.width() == 1024
    label = window.page.progress.text
    assert label.height() > label.fontMetrics().height()  # wrapped, nothing cut off
    assert "about\u00a0" in label.text()  # never split inside a part


def test_exporting_unaudited_model_labels_asks_first(window_factory, tmp_path: Path, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from labeler.exporters import ExportOptions, SourceFilter
    from ui import dialog_wiring

    items = pair_items(3)
    project = make_project(tmp_path / "p.db", items)
    db = open_db(project)
    record_label(db, Label(items[0].id, PairwiseValue(PairChoice.A), Source.HUMAN, "ana"))
    db.conn.execute("UPDATE items SET route = 'model', status = 'done' WHERE seq > 1")
    db.conn.commit()
    for item in items[1:]:
        record_label(db, Label(item.id, PairwiseValue(PairChoice.B), Source.MODEL, "rm"))
    window = window_factory(project)
    dialog = dialog_wiring.open_export(window)
    out = tmp_path / "dpo"
    dialog.export_requested.emit(out, ExportOptions(target="trl-preference", test_size=0.0))
    box = dialog.findChild(QMessageBox, "export_check_box")
    assert box is not None
    assert "includes 2 labels made by the model" in box.text()
    assert "accuracy is unknown" in box.text()
    assert "review the audit items" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert not out.exists()  # nothing exported without a yes
    people = ExportOptions(target="trl-preference", test_size=0.0, source=SourceFilter.HUMAN)
    box.deleteLater()
    dialog.export_requested.emit(out, people)  # people's labels only: nothing to ask
    qtbot.waitUntil(lambda: (out / "README.md").exists(), timeout=20000)
    qtbot.waitUntil(lambda: "export" not in window.jobs.running_names(), timeout=20000)


def test_a_response_header_counts_in_the_singular_when_there_is_one(
    window_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from labeler.types import Item, Response

    item = Item("Pick a category", (Response("Politics"), Response("Science & Health")))
    window = window_factory(make_project(tmp_path / "p.db", [item]))
    headers = {window.page.pair.left.header.text(), window.page.pair.right.header.text()}
    assert any("1 word · 8 chars" in h for h in headers), headers
    assert any("3 words · 16 chars" in h for h in headers), headers


def test_the_model_pick_repaints_with_the_theme(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The framed response (a style sheet of its own) follows a theme switch like the other."""
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    window = window_factory(_review_project(tmp_path))
    press(window, "ctrl+2")
    pair = window.page.pair
    picked = pair.left if pair.left.suggested else pair.right
    other = pair.right if picked is pair.left else pair.left
    assert picked.suggested
    assert not other.suggested

    def background(pane) -> int:  # type: ignore[no-untyped-def]
        viewport = pane.browser.viewport()
        image = viewport.grab().toImage()
        return image.pixelColor(image.width() - 8, image.height() - 8).lightness()

    assert background(picked) > 200  # light
    window._cycle_theme()  # light -> dark
    try:
        assert window.config.theme == "dark"
        qtbot.waitUntil(lambda: background(other) < 80)
        assert background(picked) < 80
        frame = picked.grab().toImage().pixelColor(picked.width() // 2, 1)
        assert frame == picked.palette().color(picked.palette().ColorRole.Highlight)
    finally:
        apply_theme(QApplication.instance(), "light")


def test_a_few_items_left_take_about_a_minute_not_zero() -> None:
    from ui.panels.formatting import duration

    counts = RouteCounts({(Route.REVIEW, Status.DONE): 1, (Route.REVIEW, Status.TODO): 4}, 0)
    text, _value, _max = progress_text(counts, 554.0, Route.REVIEW)
    assert text.endswith("about 1 min left")
    assert (duration(0.0), duration(0.3), duration(50 / 60), duration(3.5)) == (
        "0 min", "18 min", "50 min", "3 h 30 min",
    )  # fmt: skip


def test_a_label_given_while_the_numbers_are_counted_is_counted_too(
    window_factory, tmp_path: Path, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A refresh that read the project before a label was given is followed by another, even
    when the new queue counts arrive before that refresh has handed its numbers in."""
    import threading

    from ui.panel_wiring import refresh_routing
    from ui.panels.routing_panel import RoutingSnapshot

    def shown() -> str:
        return progress.text.text().replace("\u00a0", " ")

    window = window_factory(make_project(tmp_path / "p.db", pair_items(4)))
    progress = window.page.progress
    qtbot.waitUntil(lambda: "4 to label" in shown())
    qtbot.waitUntil(lambda: "routing-snapshot" not in window.jobs.running_names())
    reader = window.controller.reader
    real_run, release, held = reader.run, threading.Event(), []

    def read_then_hold(read):  # type: ignore[no-untyped-def]
        value = real_run(read)  # the project is read (and the connection free again) ...
        if isinstance(value, RoutingSnapshot) and not held:
            held.append(True)
            release.wait(10)  # ... but the numbers come in only after the label below
        return value

    monkeypatch.setattr(reader, "run", read_then_hold)
    refresh_routing(window)
    qtbot.waitUntil(lambda: bool(held))
    press(window, "a")
    qtbot.waitUntil(lambda: window.queues.item(0).text() == "To label: 3")
    release.set()
    qtbot.waitUntil(lambda: "3 to label" in shown())
    qtbot.waitUntil(lambda: "routing-snapshot" not in window.jobs.running_names())
    assert "3 to label" in shown()

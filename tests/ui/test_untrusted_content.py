"""Responses are untrusted: raw HTML shows as text, nothing is fetched, huge texts stay cheap."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from ui_helpers import make_project

from labeler.types import Item, Response
from ui.render import DISPLAY_LIMIT
from ui.views.common import SafeBrowser

pytestmark = pytest.mark.gui

HOSTILE = (
    "Look: <img src=http://example.com/track.png> and <script>alert('x')</script>\n\n"
    "![pixel](https://example.com/pixel.gif)\n\n"
    '<a href="http://example.com">click</a> <iframe src="http://example.com"></iframe>\n\n'
    "```python\nprint('code stays code')\n```\n"
)
WALL = "lorem ipsum dolor sit amet " * 40_000  # about 1 MB, one paragraph


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records (and blocks) every attempt to open a network connection."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_hostile_response_is_shown_as_text_and_loads_nothing(
    window_factory, tmp_path: Path, qtbot, no_network
) -> None:
    item = Item("Describe the page", (Response(HOSTILE), Response(WALL)))
    window = window_factory(make_project(tmp_path / "p.db", [item]))
    pair = window.page.pair
    qtbot.wait(50)  # let the window paint both responses
    hostile_pane, wall_pane = (
        (pair.left, pair.right)
        if HOSTILE.startswith(pair._texts[0][:10])
        else (pair.right, pair.left)
    )
    shown = hostile_pane.browser.toPlainText()
    assert "<img src=http://example.com/track.png>" in shown
    assert "<script>alert('x')</script>" in shown
    assert "<iframe" in shown
    assert "print('code stays code')" in shown
    assert "[image: pixel" in shown  # a markdown image becomes text, never an <img>
    html = hostile_pane.browser.toHtml()
    assert "<img" not in html
    assert "<script" not in html
    # the wall of text is plain text, clipped, and the window keeps processing events
    assert wall_pane.browser.plain
    assert len(wall_pane.browser.toPlainText()) < DISPLAY_LIMIT + 200
    assert "more characters not shown" in wall_pane.browser.toPlainText()
    assert "1,080,000 chars" in wall_pane.header.text()
    assert "shortened to 100,000 of 1,080,000 chars, plain text" in wall_pane.header.text()
    assert wall_pane.show_all_button.isVisible()
    assert not hostile_pane.show_all_button.isVisible()
    wall_pane.show_all_button.click()  # the whole text, and the header stops saying shortened
    assert len(wall_pane.browser.toPlainText()) == len(WALL)
    assert "shortened" not in wall_pane.header.text()
    assert "plain text" in wall_pane.header.text()
    assert not wall_pane.show_all_button.isVisible()
    press_and_back = window.page.pair.item_id
    qtbot.wait(20)
    assert window.page.pair.item_id == press_and_back
    for browser in (pair.left.browser, pair.right.browser, pair.prompt):
        assert browser.refused == []
    assert no_network == []


def test_diff_of_a_huge_response_falls_back_to_plain_rendering(
    window_factory, tmp_path: Path, qtbot
) -> None:
    item = Item("p", (Response(WALL), Response(WALL + " extra")))
    window = window_factory(make_project(tmp_path / "p.db", [item]))
    window.controller.handle("diff")
    assert window.page.pair.left.browser.plain
    header = window.page.pair.left.header.text()
    assert "too long for a word diff" in header  # the switch is said, never silent
    assert "shortened to 100,000 of" in header


def test_the_resource_hook_refuses_remote_urls(qtbot) -> None:
    browser = SafeBrowser()
    qtbot.addWidget(browser)
    browser.setHtml('<p>x</p><img src="http://example.com/a.png"><img src="https://e.org/b.png">')
    browser.show()
    qtbot.waitExposed(browser)
    assert "http://example.com/a.png" in browser.refused
    assert browser.loadResource(2, QUrl("https://e.org/b.png")) is None


def test_item_images_are_read_only_from_the_project_image_folders(
    window_factory, tmp_path: Path
) -> None:
    from PIL import Image
    from PySide6.QtWidgets import QLabel

    from labeler.importers.images import project_image_folders
    from labeler.store import open_db
    from labeler.workflows import drive
    from labeler.workflows.importing import ImportOptions, import_data

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("RGB", (4, 4), "red").save(elsewhere / "x.png")
    (tmp_path / "proj").mkdir()
    item = Item("What is shown?", (Response("red"), Response("blue")), (str(elsewhere / "x.png"),))
    project = make_project(tmp_path / "proj" / "p.db", [item])  # a project made elsewhere
    window = window_factory(project)
    texts = [t.text() for t in window.page.pair.images.findChildren(QLabel)]
    assert any("outside the folders this project's images were imported from" in t for t in texts)

    data = elsewhere / "more.jsonl"
    data.write_text('{"prompt": "q", "responses": ["a", "b"], "images": ["x.png"]}\n')
    drive(import_data(project, ImportOptions(files=(data,))))
    db = open_db(project)
    try:
        assert elsewhere.resolve() in project_image_folders(db, project)
    finally:
        db.conn.close()

"""An item the window cannot show in full takes no label: it says why, and S or F move on."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from ui_helpers import list_item, make_project, pair_items, press

from labeler.db import open_db
from labeler.store import label_history, live_labels, record_label
from labeler.store.items import item_state
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from ui.main_window import MainWindow
from ui.views import common
from ui.views.common import load_image

pytestmark = pytest.mark.gui

NO_COMMA = (  # a 1x1 PNG whose data: URI lost its comma
    "data:image/png;base64iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwAB"
    "BAEAwS2OUAAAAABJRU5ErkJggg=="
)
LABEL_KEYS = ("a", "b", "shift+a", "shift+b", "t", "x", "1", "2", "return")


def bomb_png(path: Path, side: int = 20_000) -> Path:
    """A black 1-bit PNG of side x side pixels: about 50 KB on disk, 400 M pixels decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\0" * (1 + (side + 7) // 8)  # filter byte, then the packed pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
    path.write_bytes(png + chunk(b"IEND", b""))
    return path


def picture_item(image: str) -> Item:
    return Item("Describe the picture", (Response("A cat."), Response("A dog.")), images=(image,))


def page_text(window: MainWindow) -> str:
    """Every text the labelling page shows, as one string."""
    page = window.page
    pair, rank = page.pair, page.rank
    browsers = (pair.prompt, pair.left.browser, pair.right.browser, rank.prompt, rank.detail)
    labels = [w.text() for w in page.findChildren(QLabel) if not w.isHidden()]
    rows = [rank.list.item(r).text() for r in range(rank.list.count())]
    return "\n".join([b.toPlainText() for b in browsers] + labels + rows)


def assert_blocked(window: MainWindow, project: Path, item: Item, *reasons: str) -> None:
    """The item is on screen, says why it takes no label, and no key or click records one."""
    page = window.page
    view = page.pair if page.active == "pair" else page.rank
    assert window.controller.session.current.item.id == item.id
    assert not view.notice.isHidden()
    for reason in reasons:
        assert reason in page.blocked
    assert "S skips it, F flags it" in view.notice.text()
    press(window, *LABEL_KEYS)
    for button in [*getattr(view, "buttons", {}).values(), getattr(view, "submit_button", None)]:
        if button is not None:
            assert not button.isEnabled()
            button.click()
    assert not page.banner.isVisible()
    assert label_history(open_db(project), item.id) == []


def assert_labels_normally(window: MainWindow, project: Path, item: Item) -> None:
    page = window.page
    assert page.pair.item_id == item.id
    assert page.blocked == ""
    assert page.pair.notice.isHidden()
    shown = {b.toPlainText().strip() for b in (page.pair.left.browser, page.pair.right.browser)}
    assert shown == {r.text for r in item.responses}
    press(window, "b")
    assert len(live_labels(open_db(project), item.id)) == 1


@pytest.mark.parametrize("kind", ["data URI without a comma", "decompression bomb"])
def test_an_image_that_cannot_be_shown_blocks_labelling(
    window_factory, tmp_path: Path, kind: str
) -> None:
    if kind == "decompression bomb":
        path = bomb_png(tmp_path / "bomb.png")
        assert path.stat().st_size < 60_000
        broken, reason = picture_item(str(path)), "too large to decode safely"
    else:
        broken, reason = picture_item(NO_COMMA), "no comma"
    first, after = pair_items(2)
    project = make_project(tmp_path / "p.db", [first, broken, after])
    window = window_factory(project)
    assert window.page.pair.item_id == first.id
    press(window, "a")

    pair = window.page.pair
    # the new item is shown (its own responses, not the last item's) with the reason
    shown = {pair.left.browser.toPlainText().strip(), pair.right.browser.toPlainText().strip()}
    assert shown == {"A cat.", "A dog."}
    assert "Question 0" not in page_text(window)
    placeholders = [
        t.text() for t in pair.images.findChildren(QLabel) if "could not be shown" in t.text()
    ]
    assert len(placeholders) == 1
    assert reason in placeholders[0]
    assert_blocked(window, project, broken, "image could not be shown", reason)

    press(window, "f")  # flag it for someone to look at, then skip it
    assert item_state(open_db(project), broken.id)[1] is True
    press(window, "s")
    assert_labels_normally(window, project, after)
    assert len(live_labels(open_db(project), first.id)) == 1
    assert label_history(open_db(project), broken.id) == []


def test_a_failure_while_drawing_clears_the_page_and_blocks_labelling(
    window_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = common.markdown_to_html

    def fails_on_one_item(text: str, dark: bool = False) -> str:
        if "BROKEN" in text:
            raise RuntimeError("the renderer failed")
        return real(text, dark)

    monkeypatch.setattr(common, "markdown_to_html", fails_on_one_item)
    first, after = pair_items(2)
    broken = Item("A fine prompt", (Response("BROKEN answer"), Response("Another answer")))
    project = make_project(tmp_path / "p.db", [first, broken, after])
    window = window_factory(project)
    press(window, "a")

    text = page_text(window)
    for old in ("Question 0", "It is 0.", "0 it is"):
        assert old not in text
    for partial in ("A fine prompt", "Another answer"):
        assert partial not in text
    assert window.page.pair.item_id == ""
    assert_blocked(window, project, broken, "This item can't be shown", "the renderer failed")
    press(window, "s")
    assert_labels_normally(window, project, after)


def test_diff_failure_blocks_the_item_on_screen(
    window_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def diff_fails(*_args: object, **_kwargs: object) -> tuple[str, str]:
        raise ValueError("diff failed")

    monkeypatch.setattr("ui.views.pair_view.word_diff_html", diff_fails)
    first, after = pair_items(2)
    project = make_project(tmp_path / "p.db", [first, after])
    window = window_factory(project)
    press(window, "w")
    assert "It is 0." not in page_text(window)
    assert_blocked(window, project, first, "This item can't be shown", "diff failed")
    press(window, "w", "s")
    assert window.page.pair.item_id == after.id


def test_listwise_item_with_a_broken_image_takes_no_ranking(
    window_factory, tmp_path: Path
) -> None:
    ranked = list_item(3)
    broken = Item(ranked.prompt, ranked.responses, images=(NO_COMMA,))
    project = make_project(tmp_path / "p.db", [broken, *pair_items(1)])
    window = window_factory(project)
    assert window.page.active == "rank"
    press(window, "1", "2", "3", "u", "alt+2", "backspace")
    assert window.page.rank.ranks == [None, None, None]
    assert_blocked(window, project, broken, "image could not be shown", "no comma")
    press(window, "s")
    assert window.page.active == "pair"
    assert window.page.blocked == ""


def test_listwise_response_that_fails_later_blocks_the_item(
    window_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = common.markdown_to_html

    def fails_on_one_response(text: str, dark: bool = False) -> str:
        if "number 2" in text:
            raise RuntimeError("bad response")
        return real(text, dark)

    monkeypatch.setattr(common, "markdown_to_html", fails_on_one_response)
    item = list_item(3)
    project = make_project(tmp_path / "p.db", [item])
    window = window_factory(project)
    press(window, "down", "down", "up", "up")  # every response is drawn once: one fails
    assert "Answer number" not in page_text(window)
    assert_blocked(window, project, item, "This item can't be shown", "bad response")


def test_review_queue_cannot_accept_a_model_label_for_a_blocked_item(
    window_factory, tmp_path: Path
) -> None:
    broken = picture_item(NO_COMMA)
    project = make_project(tmp_path / "p.db", [broken])
    db = open_db(project)
    db.conn.execute("UPDATE items SET route = 'review'")
    db.conn.commit()
    model = Label(broken.id, PairwiseValue(PairChoice.A), Source.MODEL, "rm", confidence=0.7)
    record_label(db, model)
    window = window_factory(project)
    press(window, "ctrl+2")
    press(window, "m", "return", "m", "return")
    assert not window.page.banner.isVisible()
    assert [lab.source for lab in label_history(db, broken.id)] == [Source.MODEL]
    assert "no comma" in window.page.blocked


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("data:image/png;base64,@@@notbase64", "bad base64"),
        ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), "not an image"),
        ("data:,", "not an image"),
        ("https://example.com/cat.png", "remote images are never loaded"),
        ("", "empty"),
        ("x" * 5000 + ".png", ""),
        ("cat\0.png", ""),
        ("missing.png", "no such file"),
    ],
)
def test_load_image_turns_every_bad_reference_into_a_reason(
    tmp_path: Path, ref: str, reason: str
) -> None:
    result = load_image(ref, tmp_path)
    assert isinstance(result, str)
    assert result
    assert reason in result


def test_load_image_refuses_directories_huge_files_and_bombs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "not a regular file" in str(load_image(str(tmp_path)))
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * 2048)
    monkeypatch.setattr(common, "MAX_IMAGE_BYTES", 1024)
    assert "too large" in str(load_image(str(big)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    Image.new("RGB", (11, 10)).save(tmp_path / "small.png")  # over the limit, under twice it
    assert "too large" in str(load_image(str(tmp_path / "small.png")))
    Image.new("RGB", (10, 10)).save(tmp_path / "ok.png")
    image = load_image(str(tmp_path / "ok.png"))
    assert not isinstance(image, str)
    assert image.width() == 10


def test_clicking_a_label_button_of_a_blocked_item_records_nothing(
    window_factory, tmp_path: Path, qtbot
) -> None:
    broken = picture_item(NO_COMMA)
    project = make_project(tmp_path / "p.db", [broken])
    window = window_factory(project)
    for button in window.page.pair.buttons.values():
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    window.page.pair.choose("a", 1)  # even called directly
    assert label_history(open_db(project), broken.id) == []

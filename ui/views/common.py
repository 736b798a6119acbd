"""Small widgets the views share: a browser that never fetches, item images, scroll sync."""

from __future__ import annotations

import base64
import binascii
import html
import io
import warnings
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PIL import Image, UnidentifiedImageError
from PySide6.QtCore import QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.importers.images import IMAGE_FORMATS, MAX_IMAGE_BYTES, inside
from labeler.types import Prompt
from ui.render import DISPLAY_LIMIT, clip, markdown_to_html, needs_plain_text

LOCAL_SCHEMES = {"", "data", "qrc"}


def is_dark(_widget: QWidget | None = None) -> bool:
    """The theme in effect: the application's palette, which a theme switch sets at once (a
    widget's own copy follows only when its change event has been processed)."""
    return QGuiApplication.palette().window().color().lightness() < 128


class SafeBrowser(QTextBrowser):
    """A read-only rich-text view for untrusted text: links do nothing, remote URLs load nothing.

    ``refused`` records every non-local resource the document asked for, so tests (and a
    curious user) can see that nothing was fetched.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.refused: list[str] = []
        self.plain = False
        self.clipped = False
        self._text = ""

    def loadResource(self, type_: int, name: QUrl | str) -> object:
        name = QUrl(name)
        if name.scheme().lower() not in LOCAL_SCHEMES:
            self.refused.append(name.toString())
        return None  # rendered responses reference nothing, local or remote

    def show_markdown(self, text: str) -> None:
        """Markdown for normal texts; plain text (clipped) for huge ones, to stay responsive.

        ``note`` then says so, and ``show_all`` puts the whole text on screen."""
        self._text = text
        self.plain = needs_plain_text(text)
        self.clipped = False
        if self.plain:
            shown = clip(text)
            self.clipped = shown != text
            self.setPlainText(shown)
        else:
            self.setHtml(markdown_to_html(text, is_dark(self)))

    @property
    def note(self) -> str:
        """What the view changed about the text ("" when it shows it all, as markdown)."""
        if self.clipped:
            return f"shortened to {DISPLAY_LIMIT:,} of {len(self._text):,} chars, plain text"
        return "shown as plain text (too long for formatting)" if self.plain else ""

    def show_all(self) -> None:
        """The whole text, unformatted (a very long text takes a moment to lay out)."""
        self.setPlainText(self._text)
        self.clipped = False


BLOCKED_HINT = "No label can be given for it: S skips it, F flags it."


def error_text(exc: BaseException) -> str:
    """An exception in a few words for the person at the screen (a huge message is cut)."""
    if isinstance(exc, UnidentifiedImageError):
        return "not an image format that can be read"
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    if isinstance(exc, binascii.Error):
        text = f"bad base64 data ({text})"
    return text if len(text) <= 200 else text[:200] + "…"


def _image_bytes(
    ref: str, base_dir: Path | None, allowed: tuple[Path, ...] | None = None
) -> bytes | str:
    """The encoded image a reference names, or why there is none; a file outside the
    ``allowed`` folders (when given) is never read."""
    if ref.startswith("data:"):
        header, comma, payload = ref[5:].partition(",")
        if not comma:
            return "the data: URI has no comma before its data"
        if header.lower().endswith(";base64"):
            return base64.b64decode(payload)
        return unquote_to_bytes(payload)
    if "://" in ref:
        return "remote images are never loaded"
    if not ref.strip():
        return "the image reference is empty"
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if allowed is not None and not inside(path.resolve(), allowed):
        return "outside the folders this project's images were imported from"
    if not path.exists():
        return f"no such file: {ref[:80]!r}"
    if not path.is_file():
        return f"not a regular file: {ref[:80]!r}"
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return f"the file is too large ({size:,} bytes)"
    return path.read_bytes()


def load_image(
    ref: str, base_dir: Path | None = None, allowed: tuple[Path, ...] | None = None
) -> QImage | str:
    """An item image from a local path or a data: URI, decoded with Pillow; never a remote URL.

    Never raises: an image that cannot be shown comes back as the reason why, because the item
    is then not all on screen and the view has to say so (and take no label for it).
    """
    try:
        raw = _image_bytes(ref, base_dir, allowed)
        if isinstance(raw, str):
            return raw
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice it; refuse those too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=IMAGE_FORMATS) as pil:
                rgba = pil.convert("RGBA")
        width, height = rgba.size
        data = rgba.tobytes("raw", "RGBA")
        image = QImage(data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "too large to decode safely"
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reason shown on screen
        return error_text(exc)
    return "the image is empty" if image.isNull() else image


class _Thumb(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mouseReleaseEvent(event)


class ImageStrip(QWidget):
    """Thumbnails of an item's images; a click opens the image full size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.base_dir: Path | None = None
        self.allowed: tuple[Path, ...] | None = None  # folders images may be read from
        self.setVisible(False)

    def show_images(self, refs: tuple[str, ...]) -> list[str]:
        """Thumbnails for ``refs``; returns why each image that could not be shown was not."""
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        problems = []
        for ref in refs:
            image = load_image(ref, self.base_dir, self.allowed)
            thumb = _Thumb()
            if isinstance(image, str):
                problem = f"image could not be shown: {image}"
                problems.append(problem)
                thumb.setTextFormat(Qt.TextFormat.PlainText)
                thumb.setWordWrap(True)
                thumb.setMaximumWidth(320)
                thumb.setText(f"[{problem}]")
                thumb.setToolTip(html.escape(ref[:200]))
            else:
                pix = QPixmap.fromImage(image)
                thumb.setPixmap(pix.scaled(QSize(120, 90), Qt.AspectRatioMode.KeepAspectRatio))
                thumb.setCursor(Qt.CursorShape.PointingHandCursor)
                thumb.setToolTip("Click to enlarge")
                thumb.clicked.connect(lambda p=pix: self._enlarge(p))
            self._layout.addWidget(thumb)
        self._layout.addStretch(1)
        self.setVisible(bool(refs))
        return problems

    def _enlarge(self, pix: QPixmap) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Image")
        area = QScrollArea(dialog)
        label = QLabel()
        label.setPixmap(pix)
        area.setWidget(label)
        QVBoxLayout(dialog).addWidget(area)
        dialog.resize(min(pix.width() + 40, 1200), min(pix.height() + 40, 900))
        dialog.open()


class BlockNotice(QLabel):
    """Why the item on screen takes no label; hidden while it takes one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { background-color: #b3261e; color: white; padding: 6px; }")
        self.setVisible(False)

    def set_reason(self, reason: str) -> None:
        self.reason = reason
        self.setText(f"{reason}\n{BLOCKED_HINT}" if reason else "")
        self.setVisible(bool(reason))


LAST_USER_ANCHOR = "last-user-turn"


class ShowAllButton(QPushButton):
    """ "Show all" beside a response header; visible only while the response is shortened."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Show all", parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVisible(False)


def prompt_html(prompt: Prompt, dark: bool) -> str:
    """A prompt as HTML: chat prompts as one block per turn, with the role above it."""
    if isinstance(prompt, str):
        return markdown_to_html(clip(prompt), dark)
    shades = {"user": "#2a3a4a", "assistant": "#2e2e2e", "system": "#3a3320"} if dark else {
        "user": "#eaf2fb", "assistant": "#f4f4f4", "system": "#fbf5e0"}  # fmt: skip
    parts = []
    last_user = max((i for i, m in enumerate(prompt) if m.role == "user"), default=-1)
    for i, msg in enumerate(prompt):
        shade = shades.get(msg.role, shades["assistant"])
        body = markdown_to_html(clip(msg.content), dark)
        role = html.escape(msg.role)
        if i == last_user and len(prompt) > 1:
            role = f"<a name='{LAST_USER_ANCHOR}'></a>{role} (last turn: the responses answer it)"
        parts.append(
            f"<table width='100%' cellpadding='6' style='background-color:{shade}; "
            f"margin-bottom:4px'><tr><td><b>{role}</b>{body}</td></tr></table>"
        )
    return "".join(parts)


def show_prompt(browser: QTextBrowser, prompt: Prompt) -> None:
    """The prompt, scrolled so a multi-turn chat shows its last user turn, which the
    responses answer (earlier turns are above it)."""
    browser.setHtml(prompt_html(prompt, is_dark()))
    if not isinstance(prompt, str) and len(prompt) > 1:
        browser.scrollToAnchor(LAST_USER_ANCHOR)
        # scrollToAnchor needs a laid-out document: once more when the view is shown
        QTimer.singleShot(0, lambda: browser.scrollToAnchor(LAST_USER_ANCHOR))


def prompt_pane(prompt: SafeBrowser, images: ImageStrip) -> QWidget:
    """The "Prompt" heading over the prompt text and its images, as every view shows them."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel("<b>Prompt</b>"))
    layout.addWidget(prompt, 1)
    layout.addWidget(images)
    return box


class ScrollSync(QObject):
    """Keeps several vertical scroll bars at the same relative position."""

    def __init__(self, bars: list[QScrollBar], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bars = bars
        self._busy = False
        self.enabled = True
        for bar in bars:
            bar.valueChanged.connect(lambda _v, b=bar: self._follow(b))

    def _follow(self, source: QScrollBar) -> None:
        if self._busy or not self.enabled:
            return
        self._busy = True
        try:
            span = max(1, source.maximum() - source.minimum())
            fraction = (source.value() - source.minimum()) / span
            for bar in self._bars:
                if bar is not source:
                    bar.setValue(round(bar.minimum() + fraction * (bar.maximum() - bar.minimum())))
        finally:
            self._busy = False

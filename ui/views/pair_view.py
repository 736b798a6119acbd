"""One item with two responses: the prompt above, the responses side by side (or stacked).

The view receives a ``ShownItem`` (responses already in shown order) and emits intents in
shown terms: ``choice_made(item_id, "a" | "b" | "tie" | "both_bad", strength)`` where ``a`` is
the left response. It never touches the store.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labeler.session import ShownItem
from labeler.types import AspectsValue, PairwiseValue
from ui.render import word_diff_html
from ui.views.aspects_form import AspectsForm
from ui.views.common import (
    BlockNotice,
    ImageStrip,
    SafeBrowser,
    ScrollSync,
    error_text,
    is_dark,
    prompt_pane,
    show_prompt,
)
from ui.views.response_pane import ResponsePane

NARROW = 560  # px: below this width the responses stack vertically
COMPACT = 640  # px: below this width the choice buttons show only their keys

CHOICE_TEXT = {"a": "Left better", "b": "Right better", "tie": "Tie", "both_bad": "Both bad"}


class PairView(QWidget):
    choice_made = Signal(str, str, object)
    aspects_made = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item_id = ""
        self._texts = ("", "")
        self._diff = False
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.notice = BlockNotice()
        self.prompt = SafeBrowser()
        self.images = ImageStrip()
        prompt_box = prompt_pane(self.prompt, self.images)

        self.left = ResponsePane("Left (A)")
        self.right = ResponsePane("Right (B)")
        self._responses = QWidget()
        self._box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self._responses)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.addWidget(self.left)
        self._box.addWidget(self.right)
        self.scroll_sync = ScrollSync(
            [self.left.browser.verticalScrollBar(), self.right.browser.verticalScrollBar()], self
        )

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(prompt_box)
        splitter.addWidget(self._responses)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)

        self.aspects = AspectsForm()
        self.aspects.aspects_made.connect(self.aspects_made)
        self.aspects.setVisible(False)

        buttons = QHBoxLayout()
        self.buttons: dict[tuple[str, int | None], QPushButton] = {}
        self._button_texts: dict[QPushButton, tuple[str, str]] = {}
        for choice, strength, text, short in (
            ("a", 2, "Left ≫  (Shift+A)", "A ≫"),
            ("a", 1, "Left  (A)", "A"),
            ("tie", None, "Tie  (T)", "T"),
            ("both_bad", None, "Both bad  (X)", "X"),
            ("b", 1, "Right  (B)", "B"),
            ("b", 2, "Right ≫  (Shift+B)", "B ≫"),
        ):
            button = QPushButton(text)
            button.setToolTip(text)
            # the row may be narrower than the long texts: they give way to the keys alone
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self._button_texts[button] = (text, short)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, ch=choice, s=strength: self.choose(ch, s))
            buttons.addWidget(button)
            self.buttons[(choice, strength)] = button
        self.button_a = self.buttons[("a", 1)]
        self.button_b = self.buttons[("b", 1)]

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.aspects)
        layout.addLayout(buttons)

    # ---- data in -------------------------------------------------------------------------
    def set_aspects(self, aspects: tuple[str, ...] | None) -> None:
        """Show the multi-aspect form (A/B/T then set ``overall``; Enter submits)."""
        self.aspects.setVisible(aspects is not None)
        if aspects is not None:
            self.aspects.set_aspects(aspects)

    @property
    def uses_aspects(self) -> bool:
        return not self.aspects.isHidden()

    @property
    def blocked(self) -> str:
        """Why the item on screen takes no label ("" when it takes one)."""
        return self.notice.reason

    def show_item(self, shown: ShownItem, status: str = "") -> None:
        """Show all of the item; it takes a label only once every part of it is on screen.

        Raises when a part cannot be built: the page then shows the view broken instead.
        """
        self.item_id = ""  # no label for a half-drawn item
        self._set_inputs(False)
        self.status.setText(status)
        left, right = shown.responses[0], shown.responses[1]
        self._texts = (left.text, right.text)
        show_prompt(self.prompt, shown.item.prompt)
        problems = self.images.show_images(shown.item.images)
        self._render_responses()
        mine = {lab.kind: shown.shown_value(lab) for lab in shown.my_labels}
        previous = next((v for v in mine.values() if isinstance(v, AspectsValue)), None)
        self.aspects.show_item(shown.item.id, dict(previous.aspects) if previous else None)
        pair = next((v for v in mine.values() if isinstance(v, PairwiseValue)), None)
        for (choice, strength), button in self.buttons.items():
            picked = pair is not None and pair.choice.value == choice
            picked = picked and pair is not None and (pair.strength or 1) == (strength or 1)
            button.setDefault(picked)
            font = button.font()
            font.setBold(picked)
            button.setFont(font)
        self.item_id = shown.item.id
        self._block(f"This item can't be labelled: {'; '.join(problems)}" if problems else "")

    def show_broken(self, reason: str) -> None:
        """Nothing of any item, and why it is not shown; no input takes a label here."""
        self.item_id = ""
        self._texts = ("", "")
        self.prompt.clear()
        self.images.show_images(())
        for pane in (self.left, self.right):
            pane.clear()
        self.aspects.show_item("")
        self._block(f"This item can't be shown: {reason}")

    def _block(self, reason: str) -> None:
        self.notice.set_reason(reason)
        self._set_inputs(not reason)

    def _set_inputs(self, enabled: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(enabled)
        self.aspects.setEnabled(enabled)

    @property
    def takes_input(self) -> bool:
        return bool(self.item_id) and not self.blocked

    def _render_responses(self) -> None:
        diff = word_diff_html(*self._texts, dark=is_dark(self)) if self._diff else None
        if diff is None:
            note = "too long for a word diff" if self._diff else ""
            self.left.show_text(self._texts[0], note=note)
            self.right.show_text(self._texts[1], note=note)
            return
        self.left.show_html(self._texts[0], diff[0])
        self.right.show_html(self._texts[1], diff[1])

    def set_suggestion(self, side: str | None) -> None:
        """Mark the response the model picked (``"a"`` left, ``"b"`` right, None: neither)."""
        self.left.set_suggested(side == "a")
        self.right.set_suggested(side == "b")

    def set_diff(self, on: bool) -> None:
        self._diff = on
        if not self.item_id:
            return
        try:
            self._render_responses()
        except Exception as exc:  # a response that cannot be shown blocks the item
            logging.getLogger(__name__).exception("could not show the responses")
            self.show_broken(error_text(exc))

    def set_zoom(self, points: float) -> None:
        for browser in (self.prompt, self.left.browser, self.right.browser):
            font = browser.font()
            font.setPointSizeF(points)
            browser.setFont(font)
            browser.document().setDefaultFont(font)

    # ---- intents out ---------------------------------------------------------------------
    def choose(self, choice: str, strength: int | None = None) -> None:
        """A pick in shown terms; in the multi-aspect form it sets ``overall`` instead."""
        if not self.takes_input:
            return
        if self.uses_aspects:
            sign = {"a": -1, "b": 1}.get(choice, 0)
            self.aspects.set_value("overall", sign * (strength or 1))
            return
        self.choice_made.emit(self.item_id, choice, strength)

    def submit(self) -> bool:
        return self.takes_input and self.uses_aspects and self.aspects.submit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        narrow = event.size().width() < NARROW
        compact = event.size().width() < COMPACT
        for button, (text, short) in self._button_texts.items():
            button.setText(short if compact else text)
        self._box.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )
        super().resizeEvent(event)

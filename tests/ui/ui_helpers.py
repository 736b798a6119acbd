"""Helpers for GUI tests: projects on disk and typing keys at a window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from labeler.db import open_db
from labeler.store import add_items
from labeler.types import Item, Message, Response


def make_project(path: Path, items: list[Item]) -> Path:
    db = open_db(path)
    add_items(db, items)
    db.conn.close()
    return path


def pair_items(n: int) -> list[Item]:
    return [
        Item(f"Question {i}: what is **{i}**?", (Response(f"It is {i}."), Response(f"{i} it is")))
        for i in range(n)
    ]


def list_item(k: int = 4) -> Item:
    prompt = (
        Message("user", "Rank the answers"),
        Message("assistant", "ok"),
        Message("user", "go"),
    )
    return Item(prompt, tuple(Response(f"Answer number {j}") for j in range(k)))


def press(window, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Type keys at the window: "a", "shift+a", "ctrl+z", "left", "return"."""
    for key in keys:
        mods = Qt.KeyboardModifier.NoModifier
        parts = key.split("+")
        for mod in parts[:-1]:
            mods |= {
                "shift": Qt.KeyboardModifier.ShiftModifier,
                "ctrl": Qt.KeyboardModifier.ControlModifier,
                "alt": Qt.KeyboardModifier.AltModifier,
            }[mod]
        name = parts[-1]
        code = getattr(Qt.Key, f"Key_{name.upper() if len(name) == 1 else name.capitalize()}")
        QTest.keyClick(window, code, mods)

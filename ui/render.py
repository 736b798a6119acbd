"""Safe markdown -> HTML for model responses and prompts.

Responses are untrusted text. Raw HTML is escaped (markdown-it with ``html`` off), images
become their alt text (an ``<img>`` could name a remote URL), and code blocks are highlighted
with pygments using inline styles, which Qt's rich text understands. Very long texts skip
markdown altogether: the view shows them as plain text so a wall of text cannot stall the GUI.
"""

from __future__ import annotations

import difflib
import html
import re
from functools import lru_cache

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

PLAIN_TEXT_THRESHOLD = 60_000  # characters; above this, show plain text
DISPLAY_LIMIT = 100_000  # characters shown at most (~0.1 s of layout); the rest is summarised
DIFF_WORD_LIMIT = 8_000  # words per side; beyond this a word diff costs too much
DIFF_LIGHT, DIFF_DARK = "#fbe7a1", "#5b4a16"  # a highlighter's yellow, for either side


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer:
    try:
        return get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        return TextLexer()


@lru_cache(maxsize=2)
def _formatter(dark: bool) -> HtmlFormatter:
    # building a formatter resolves the whole style; once per theme is enough
    return HtmlFormatter(nowrap=True, noclasses=True, style="monokai" if dark else "default")


def _highlight(code: str, lang: str, _attrs: str, dark: bool = False) -> str:
    body = highlight(code, _lexer(lang.strip().lower()), _formatter(dark))
    return f"<pre style='font-family: monospace'>{body}</pre>"


def _markdown(dark: bool) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            "html": False,
            "linkify": False,
            "highlight": lambda code, lang, attrs: _highlight(code, lang, attrs, dark),
        },
    ).enable("table")

    def image(_self, tokens, idx, _options, _env):
        token = tokens[idx]
        alt = html.escape(token.content or "image")
        src = html.escape(token.attrGet("src") or "")
        return f"[image: {alt} &lt;{src}&gt;]"

    md.add_render_rule("image", image)
    return md


_MD = {False: _markdown(False), True: _markdown(True)}


def needs_plain_text(text: str) -> bool:
    return len(text) > PLAIN_TEXT_THRESHOLD


def clip(text: str) -> str:
    """The part of a huge text that is worth putting on screen, with a note on the rest."""
    if len(text) <= DISPLAY_LIMIT:
        return text
    rest = len(text) - DISPLAY_LIMIT
    return text[:DISPLAY_LIMIT] + f"\n\n[… {rest:,} more characters not shown]"


def markdown_to_html(text: str, dark: bool = False) -> str:
    """Render untrusted markdown; raw HTML shows as text and nothing refers outside."""
    return _MD[dark].render(text)


def text_stats(text: str) -> str:
    """The length shown in a response's header: "1 word · 8 chars", "12 words · 40 chars"."""
    words, chars = len(text.split()), len(text)
    return f"{words:,} word{'' if words == 1 else 's'} · {chars:,} char{'' if chars == 1 else 's'}"


_WORD = re.compile(r"\S+|\s+")


def word_diff_html(left: str, right: str, dark: bool = False) -> tuple[str, str] | None:
    """Both texts as escaped HTML with the words only one side has highlighted.

    Returns None when the texts are too long for a diff to stay interactive.
    """
    a, b = _WORD.findall(left), _WORD.findall(right)
    if len(a) > 2 * DIFF_WORD_LIMIT or len(b) > 2 * DIFF_WORD_LIMIT:
        return None
    # one neutral highlight on both sides: a difference is not a verdict (no red/green)
    colour_a = colour_b = DIFF_DARK if dark else DIFF_LIGHT
    out_a: list[str] = []
    out_b: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        chunk_a = html.escape("".join(a[i1:i2]))
        chunk_b = html.escape("".join(b[j1:j2]))
        if tag == "equal":
            out_a.append(chunk_a)
            out_b.append(chunk_b)
            continue
        if chunk_a:
            out_a.append(f"<span style='background-color:{colour_a}'>{chunk_a}</span>")
        if chunk_b:
            out_b.append(f"<span style='background-color:{colour_b}'>{chunk_b}</span>")
    wrap = "<div style='white-space: pre-wrap'>{}</div>"
    return wrap.format("".join(out_a)), wrap.format("".join(out_b))

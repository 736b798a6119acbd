"""The bundled demo project: real PandaLM pairs and Arena-Hard listwise items (Apache-2.0).

See ``NOTICE.md`` beside this file for sources and attribution.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler.db import open_db
from labeler.importers import import_files
from labeler.store.items import count_items
from labeler.store.meta import get_guidelines, set_guidelines

if TYPE_CHECKING:
    import sqlite_utils

DATA = Path(str(files("labeler.demo") / "data"))
PAIRWISE_FILE = DATA / "pandalm_pairwise.jsonl"
LISTWISE_FILE = DATA / "arena_listwise.jsonl"
VOTES_FILE = DATA / "pandalm_votes.jsonl"

GUIDELINES = """# Labelling guidelines (demo)

Pick the response that better does what the user asked.

1. **Correctness first.** A wrong answer loses to a right one, however well written.
2. **Follows the instruction.** Format, length and language as requested.
3. **Helpful and honest.** Prefer the response that a careful expert would send.
4. Use **Tie** when both are equally good, **Both bad** when neither is acceptable.
5. Press **R** to add a short rationale whenever the choice is not obvious.
"""


def demo_files() -> list[Path]:
    """The bundled data files, pairwise first."""
    return [PAIRWISE_FILE, LISTWISE_FILE]


def demo_votes() -> list[dict[str, Any]]:
    """Per pairwise demo item (file order): the three human votes and GPT-3.5's verdict.

    Votes use PandaLM's coding: 1 = first response better, 2 = second, 0 = tie.
    """
    with VOTES_FILE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def create_demo_project(path: str | Path) -> sqlite_utils.Database:
    """Open the demo project at ``path``, importing the bundled data on first use."""
    db = open_db(path)
    if count_items(db) == 0:
        import_files(db, demo_files(), source_name="prefmark demo")
    if not get_guidelines(db):
        set_guidelines(db, GUIDELINES)
    return db

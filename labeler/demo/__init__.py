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
from labeler.types import Label, PairChoice, PairwiseValue, Source
from labeler.workflows import drive
from labeler.workflows.routing import JudgeOptions, import_judge

if TYPE_CHECKING:
    import sqlite_utils

DATA = Path(str(files("labeler.demo") / "data"))
PAIRWISE_FILE = DATA / "pandalm_pairwise.jsonl"
LISTWISE_FILE = DATA / "arena_listwise.jsonl"
VOTES_FILE = DATA / "pandalm_votes.jsonl"
JUDGE = "gpt-3.5-turbo"
JUDGE_OPTIONS = JudgeOptions(
    VOTES_FILE, JUDGE, key="idx", verdict_field=JUDGE,
    mapping={"1": "first", "2": "second", "tie": "tie", "garbage": "skip"},
)  # fmt: skip
VOTE_CHOICE = {1: PairChoice.A, 2: PairChoice.B, 0: PairChoice.TIE}
VOTED_PAIRS = 150  # pairs that arrive labelled by PandaLM's annotators; the rest are to label

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


def demo_pair_ids(db: sqlite_utils.Database) -> dict[str, str]:
    """PandaLM ``idx`` (as text) -> item id, for the demo's pairwise items."""
    rows = db.conn.execute(
        "SELECT CAST(json_extract(metadata, '$.idx') AS TEXT), id FROM items "
        "WHERE json_extract(metadata, '$.source') = 'PandaLM'"
    )
    return {str(idx): item_id for idx, item_id in rows}


def add_bundled_labels(db: sqlite_utils.Database, voted_pairs: int = VOTED_PAIRS) -> bool:
    """Store what the demo data ships with, once: the three PandaLM annotators' votes on the
    first ``voted_pairs`` pairs (as imported labels) and GPT-3.5's verdict on every pair (as
    model labels), so routing and its simulation have people's labels and a judge to work
    with at once. False when the project already has them."""
    from labeler.db import transaction
    from labeler.store.labels import insert_labels

    seen = db.conn.execute("SELECT 1 FROM labels WHERE annotator = ? LIMIT 1", (JUDGE,))
    if seen.fetchone() is not None:
        return False
    ids = demo_pair_ids(db)
    labels = [
        Label(
            ids[str(vote["idx"])],
            PairwiseValue(VOTE_CHOICE[int(choice)]),
            Source.IMPORTED,
            f"pandalm-annotator{n}",
        )
        for vote in demo_votes()[:voted_pairs]
        if str(vote["idx"]) in ids
        for n, choice in enumerate(vote["annotators"], start=1)
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    drive(import_judge(db, JUDGE_OPTIONS))
    return True

"""A seeded shuffle of a written split file, for targets whose trainers read neighbours.

TRL's KTOTrainer builds the KL term of its loss from mismatched pairs: it rotates the
completions by one within each batch, in file order (it trains in that order too). Records
written item by item put an item's desirable and undesirable completions side by side, so
most "mismatched" pairs would share a prompt. The shuffle's order depends only on the
number of records and the seed (a keyed hash of each position), so the same export gives
the same bytes, on one process or several. It holds one split file in memory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from labeler.exporters.engine.writer import SplitFile


def order(n: int, seed: int) -> list[int]:
    """A permutation of ``range(n)`` fixed by ``seed``.

    >>> sorted(order(5, 0)) == list(range(5)), order(5, 0) == order(5, 0)
    (True, True)
    >>> order(5, 0) == order(5, 1)
    False
    """
    key = seed.to_bytes(8, "big", signed=True)

    def rank(i: int) -> bytes:
        return hashlib.blake2b(i.to_bytes(8, "big"), digest_size=8, key=key).digest()

    return sorted(range(n), key=rank)


def shuffle_file(folder: Path, split: SplitFile, seed: int) -> SplitFile:
    """Rewrite one split file of ``folder`` in the seeded order; its new ``SplitFile``."""
    path = folder / split.path
    tmp = path.with_name(path.name + ".partial")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        pq.write_table(table.take(order(table.num_rows, seed)), tmp, compression="zstd")
    else:
        lines = path.read_bytes().splitlines(keepends=True)
        with open(tmp, "wb") as fh:
            fh.writelines(lines[i] for i in order(len(lines), seed))
    os.replace(tmp, path)
    return SplitFile(split.split, split.path, split.records, path.stat().st_size)

"""Pause Python's cyclic garbage collector around a bulk loop (imports, exports).

A million-record loop allocates millions of short-lived containers (rows, records, named
tuples) and makes no reference cycles; the collector's passes over them cost up to a fifth
of an export's CPU time. Reference counting still frees every row as soon as it is done
with, so memory stays bounded; the collector resumes afterwards and collects any cycle
made meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

"""The project store: the only package that speaks SQL (with ``labeler.db``).

Functions take the ``sqlite_utils.Database`` first, sqlite-utils style; there is no global
connection. Each module owns one table family.
"""

from labeler.db import ProjectFileError, memory_db, open_db, transaction
from labeler.store.items import (
    add_items,
    count_items,
    get_item,
    insert_items,
    iter_items,
    next_item,
    set_flag,
    set_status,
)
from labeler.store.labels import insert_labels, label_history, live_labels, record_label
from labeler.store.meta import get_guidelines, get_schema, set_guidelines, set_schema
from labeler.store.resolved import ResolvedLabel, resolved_label, resolved_labels

__all__ = [
    "ProjectFileError",
    "ResolvedLabel",
    "add_items",
    "count_items",
    "get_guidelines",
    "get_item",
    "get_schema",
    "insert_items",
    "insert_labels",
    "iter_items",
    "label_history",
    "live_labels",
    "memory_db",
    "next_item",
    "open_db",
    "record_label",
    "resolved_label",
    "resolved_labels",
    "set_flag",
    "set_guidelines",
    "set_schema",
    "set_status",
    "transaction",
]

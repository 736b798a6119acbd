"""What a row builder needs to know besides the example: format, columns, reductions."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from labeler.exporters.formats.example import Example
from labeler.exporters.formats.pairs import PairRule

Record = dict[str, Any]

PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item_id", "string"),
    ("label_source", "string"),
    ("label_action", "string"),
    ("annotator", "string"),
    ("annotators", "strings"),
    ("model_version", "string"),
    ("confidence", "float"),
)
"""Provenance columns on every record unless bare: which item, and who labelled it how."""


class BuildSpec(NamedTuple):
    conversational: bool = False
    bare: bool = False
    images: bool = False
    keep_ties: bool = False
    pair_rule: PairRule = PairRule.ALL
    unranked_last: bool = False
    margin: bool = False
    image_base: str = ""  # the export folder, absolute: image paths are written relative to it


def portable_image(ref: str, base: str) -> str:
    """An image as an export writes it: a local file as a path relative to the export folder
    (a data set never carries a local absolute path); a URL or data: URI as it is."""
    if not os.path.isabs(ref) or not base:
        return ref
    return os.path.relpath(ref, base).replace(os.sep, "/")


def add_extras(record: Record, ex: Example, spec: BuildSpec) -> Record:
    """Append the ``images`` column (vision items) and the provenance columns."""
    if spec.images:
        record["images"] = [portable_image(ref, spec.image_base) for ref in ex.images]
    if not spec.bare:
        p = ex.provenance
        record["item_id"] = ex.item_id
        record["label_source"] = p.label_source
        record["label_action"] = p.label_action
        record["annotator"] = p.annotator
        record["annotators"] = list(p.annotators) or [p.annotator]
        record["model_version"] = p.model_version
        record["confidence"] = p.confidence
    return record


def extra_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    cols = [("images", "strings")] if spec.images else []
    return cols + ([] if spec.bare else list(PROVENANCE_COLUMNS))

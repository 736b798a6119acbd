"""Exports: preference (DPO), unpaired (KTO), ranked-list and vendor formats from labels.

``export_project`` is the one entry point (CLI and GUI both call it); the row builders in
``trl``, ``openai`` and ``llama_factory`` are pure functions from a decoded ``Example`` to
records, so one test table covers every target.
"""

from labeler.exporters.options import ExportOptions, ExportReport, Variant
from labeler.exporters.pairs import PairRule, preference_pairs, ranking_to_pairs
from labeler.exporters.policies import ConflictPolicy, SourceFilter
from labeler.exporters.run import export_project
from labeler.exporters.targets import TARGETS, Target, TargetKind
from labeler.exporters.writer import ExportError

__all__ = [
    "TARGETS",
    "ConflictPolicy",
    "ExportError",
    "ExportOptions",
    "ExportReport",
    "PairRule",
    "SourceFilter",
    "Target",
    "TargetKind",
    "Variant",
    "export_project",
    "preference_pairs",
    "ranking_to_pairs",
]

"""Exports: preference (DPO), unpaired (KTO), ranked-list and vendor formats from labels.

Three parts: ``formats`` (pure row builders from a decoded ``Example`` to records, so one
test table covers every target), ``engine`` (options, selection and split, the target
registry, the walk over the store, writer, card and the atomic folder) and ``fast`` (the
engine's private speed path, byte-identical to the general one). ``export_steps`` is the one
entry point (the export workflow drives it for CLI, app and demo).
"""

from labeler.exporters.engine.options import ExportOptions, ExportReport, Variant
from labeler.exporters.engine.policies import ConflictPolicy, SourceFilter
from labeler.exporters.engine.run import export_project, export_steps
from labeler.exporters.engine.targets import TARGETS, Target, TargetKind
from labeler.exporters.engine.writer import ExportError
from labeler.exporters.formats.pairs import PairRule, preference_pairs, ranking_to_pairs

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
    "export_steps",
    "preference_pairs",
    "ranking_to_pairs",
]

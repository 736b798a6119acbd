"""Importers: stream preference data files into a project, recognising common shapes.

``import_files`` is the entry point; ``FieldMapping`` renames a file's fields when its shape
is not recognised as is.
"""

from labeler.importers.errors import ImportFailed, Location, RecordError
from labeler.importers.mapping import FieldMapping, parse_map_options
from labeler.importers.run import ImportReport, LabelHook, Progress, import_files

__all__ = [
    "FieldMapping",
    "ImportFailed",
    "ImportReport",
    "LabelHook",
    "Location",
    "Progress",
    "RecordError",
    "import_files",
    "parse_map_options",
]

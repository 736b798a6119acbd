"""Importers: stream preference data files into a project, recognising common shapes.

``import_files`` is the entry point; ``FieldMapping`` renames a file's fields when its shape
is not recognised as is.
"""

from labeler.importers.errors import ImportFailed, Location, RecordError
from labeler.importers.mapping import FieldMapping, parse_map_options
from labeler.importers.run import ImportReport, LabelHook, import_files, import_steps

__all__ = [
    "FieldMapping",
    "ImportFailed",
    "ImportReport",
    "LabelHook",
    "Location",
    "RecordError",
    "import_files",
    "import_steps",
    "parse_map_options",
]

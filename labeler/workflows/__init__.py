"""Every user action, once: the layer the CLI, the app and the demo all call.

Each workflow is a generator that yields progress as ``(done, total)`` (``total`` 0 while it
cannot count yet), returns a typed report, raises ``WorkflowError`` with a sentence a person
can act on, and stops cleanly when it is closed (cancel). The front ends only collect options,
drive the generator and show the report. This package is the one composition root that may
import ``models`` (lazily, in ``labeler.workflows.models``); the core below it never does.
"""

from __future__ import annotations

from labeler.workflows.base import Workflow, WorkflowError, drive

__all__ = ["Workflow", "WorkflowError", "drive"]

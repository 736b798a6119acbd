"""A log file of what failed, so that a crash in a background job leaves a trace.

People see one sentence; the traceback goes to ``prefmark.log`` in the data folder (a few
rotated files of 1 MB), whose place ``prefmark --version`` and the About dialog name.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from labeler.about import data_dir

LOGGER_NAME = "prefmark"
MAX_BYTES = 1_000_000
BACKUPS = 3


def log_path() -> Path:
    return data_dir() / "prefmark.log"


def logger() -> logging.Logger:
    """The product's logger, writing to ``log_path()`` once set up (idempotent)."""
    log = logging.getLogger(LOGGER_NAME)
    path = log_path()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in log.handlers):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
        except OSError:  # a read-only home: failures are still said, just not logged
            return log
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def log_failure(what: str, exc: BaseException) -> None:
    """Record a failure with its traceback."""
    logger().error("%s failed: %s", what, exc, exc_info=exc)

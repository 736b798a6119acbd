"""Where built model files are cached on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "PREFMARK_DATA_DIR"


def data_dir() -> Path:
    """The user's prefmark data folder; ``PREFMARK_DATA_DIR`` overrides it (tests, portable)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("prefmark", appauthor=False))


def model_cache_dir() -> Path:
    """Folder for ONNX graphs built at first use; created on demand."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path

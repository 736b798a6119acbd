"""What ``prefmark --version`` and the About dialog say: version, licences, where files live.

The data folder follows the same rule as the model cache (``PREFMARK_DATA_DIR``, else the
platform's user data folder), without importing the model runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from labeler import __version__

DATA_DIR_ENV = "PREFMARK_DATA_DIR"

LICENCES = (
    "prefmark: Apache License 2.0",
    "default reward model encoder: sentence-transformers/all-MiniLM-L6-v2, Apache License 2.0 "
    "(models/default/NOTICE)",
    "demo data: PandaLM test set and Arena-Hard-Auto arena-bench-v1, Apache License 2.0 "
    "(labeler/demo/NOTICE.md)",
)


def data_dir() -> Path:
    """The user's prefmark data folder (model cache, trained heads, the demo project)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("prefmark", appauthor=False))


def about_lines() -> list[str]:
    base = data_dir()
    return [
        f"prefmark {__version__}",
        *(f"licence  {line}" for line in LICENCES),
        f"data     {base} (set {DATA_DIR_ENV} to move it)",
        f"models   {base / 'models'} (built encoder graphs)",
        f"backups  {base / 'backups'} (daily copies of the projects opened in the app)",
        f"demo     {base / 'demo.db'} (prefmark gui --demo)",
        f"log      {base / 'prefmark.log'} (what failed, with details)",
        "projects each project is the one .db file you name; its labels never leave it",
    ]

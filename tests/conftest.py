"""Shared fixtures: offscreen Qt, real project files in tmp_path, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Small numpy fits (routing, heads) run 20-30x slower with two BLAS threads on a busy 2-core
# machine; one thread keeps the suite fast and its timings steady.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SHARED_DATA = Path(
    os.environ.get("PREFMARK_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep model caches and settings out of the user's real data directory."""
    if "PREFMARK_DATA_DIR" not in os.environ:
        monkeypatch.setenv(
            "PREFMARK_DATA_DIR", str(tmp_path_factory.getbasetemp() / "prefmark-data")
        )


@pytest.fixture
def shared_data() -> Path:
    """The real preference data sets (PandaLM, HH-RLHF, Arena-Hard, AlpacaEval) if present."""
    raw = SHARED_DATA / "raw"
    if not raw.is_dir():
        pytest.skip(f"shared data not found at {raw}")
    return raw


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return tmp_path / "project.db"

"""The layering contracts hold, and they catch the imports they forbid."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not LINT.exists():
        pytest.skip("lint-imports is not installed")
    copy = tmp_path_factory.mktemp("layers")
    for package in ("labeler", "models", "ui"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("ui/theme.py", "from labeler.cli import common"),  # the app through the CLI
        ("labeler/cli/stats_cmd.py", "import ui.theme"),  # the CLI into the app
        ("labeler/routing/base.py", "import models.head"),  # the core loading models
        ("labeler/cli/stats_cmd.py", "import models.head"),  # a front end loading models
        ("ui/theme.py", "import models.head"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tree: Path, module: str, line: str) -> None:
    target = tree / module
    original = target.read_text()
    target.write_text(original + f"\n{line}\n")
    try:
        result = _lint(tree)
    finally:
        target.write_text(original)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout


def test_the_contracts_hold(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout

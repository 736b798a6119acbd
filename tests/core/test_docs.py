"""The README is the user's door: its commands must be the ones CI runs and the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

from labeler.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    block = re.search(r"## Set up.*?```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_ci_runs_the_readme_test_command_exactly() -> None:
    setup, tests = _readme_commands()
    assert "prefmark gui --demo" in setup
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_every_command_the_readme_shows_exists() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    shown = {m for block in blocks for m in re.findall(r"^prefmark (\w+)", block, re.M)}
    assert shown
    assert shown <= set(COMMANDS)

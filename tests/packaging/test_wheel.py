"""The wheel: built from the sources, holding the app with its demo data and model weights, and
working from a fresh virtual environment that has nothing of the source tree or dev tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from labeler import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = (
    "labeler/demo/NOTICE.md",
    "labeler/demo/data/pandalm_pairwise.jsonl",
    "labeler/demo/data/pandalm_votes.jsonl",
    "labeler/demo/data/arena_listwise.jsonl",
    "models/default/model.safetensors",
    "models/default/tokenizer.json",
    "models/default/LICENSE",
    "models/default/NOTICE",
)


def run(
    cmd: list[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure, fail the test with its output."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would point Python at the source tree."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PREFMARK_"))
    }
    return {**env, "QT_QPA_PLATFORM": "offscreen", **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT], env=clean_env())
    (built,) = out.glob("prefmark-*.whl")
    return built


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", venv])
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], env=clean_env(), timeout=1800)
    return bin_dir


def test_wheel_holds_only_the_app_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert top - dist_info == {"labeler", "models", "ui"}
    assert set(PACKAGE_DATA) <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    (info,) = dist_info
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "prefmark = labeler.cli:main" in entry_points
    assert "prefmark-gui = ui.app:main" in entry_points


def test_installed_app_runs_from_the_venv(venv_bin: Path, tmp_path: Path) -> None:
    where = run(
        [venv_bin / "python", "-c", "import labeler, models, ui; print(labeler.__file__)"],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert Path(where.stdout.strip()).is_relative_to(venv_bin.parent)
    version = run([venv_bin / "prefmark", "--version"], cwd=tmp_path, env=clean_env())
    assert __version__ in version.stdout


def test_demo_runs_from_the_installed_wheel(venv_bin: Path, tmp_path: Path) -> None:
    env = clean_env(PREFMARK_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path / "home"))
    out = tmp_path / "demo"
    run([venv_bin / "prefmark", "demo", "--out", out], cwd=tmp_path, env=env, timeout=1800)
    manifest = json.loads((out / "dpo" / "prefmark-export.json").read_text(encoding="utf-8"))
    assert manifest["target"] == "trl-preference"
    assert sum(entry["records"] for entry in manifest["files"]) > 0
    # The default model's encoder graph was built from the weights inside the wheel.
    assert list((tmp_path / "data" / "models").glob("*.onnx"))

"""Build the standalone desktop bundle (PyInstaller, one folder) from the project's own files.

    python packaging/build_bundle.py            # venv, install, freeze: packaging/dist/prefmark/
    python packaging/build_bundle.py --archive  # ... plus dist/prefmark-<ver>-<os>.tar.gz

The build venv (``packaging/build/venv``) gets ``pip install .`` without extras plus the pinned
freezer from ``requirements-build.txt``, so test-only packages (pytest, datasets, pyarrow, ...)
cannot leak into the bundle and nothing installed by hand is needed. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
DIST = HERE / "dist"
VENV = BUILD / "venv"
APP_NAME = "prefmark"


def venv_python(venv: Path = VENV) -> Path:
    """The interpreter inside ``venv`` on this OS."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str | Path], **kwargs: object) -> None:
    """Run a command, echoing it; a failure stops the build."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


def make_venv(fresh: bool) -> Path:
    """Create (or reuse) the build venv and install the app and the freezer into it."""
    if fresh and VENV.exists():
        shutil.rmtree(VENV)
    python = venv_python()
    if not python.exists():
        run([sys.executable, "-m", "venv", VENV])
        run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "-q", "-r", HERE / "requirements-build.txt"])
    # Build the app's wheel from the current sources and reinstall it every time; then install
    # its runtime dependencies (no extras) from the wheel's metadata.
    wheels = BUILD / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    run([python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT])
    (wheel,) = wheels.glob("prefmark-*.whl")
    run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel])
    run([python, "-m", "pip", "install", "-q", wheel])
    return python


def freeze(python: Path) -> Path:
    """Run PyInstaller on ``prefmark.spec``; the one-folder bundle it writes."""
    work = BUILD / "pyinstaller"
    # Run from the build folder so the source tree is not on sys.path: the bundle must be made
    # from the installed package, exactly what a user would get.
    run(
        [python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", DIST, "--workpath", work, HERE / "prefmark.spec"],
        cwd=BUILD,
    )  # fmt: skip
    return DIST / APP_NAME


def add_desktop_files(bundle: Path) -> None:
    """Linux: the menu entry, icon and AppStream metadata, with ``install.sh`` to register them."""
    share = bundle / "share"
    share.mkdir(exist_ok=True)
    for name in (
        "io.github.prefmark.Prefmark.desktop",
        "io.github.prefmark.Prefmark.metainfo.xml",
    ):
        shutil.copy2(HERE / "linux" / name, share / name)
    for name in ("prefmark.png", "prefmark.svg"):
        shutil.copy2(HERE / "icons" / name, share / name)
    shutil.copy2(HERE / "linux" / "install.sh", bundle / "install.sh")


def tree_size(path: Path) -> int:
    """Bytes in all files under ``path`` (what ``du`` would count, without block rounding)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def archive(bundle: Path, version: str) -> Path:
    """A ``.tar.gz`` of the bundle, the form a person downloads."""
    system = f"{platform.system().lower()}-{platform.machine().lower()}"
    target = DIST / f"{APP_NAME}-{version}-{system}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{APP_NAME}-{version}")
    return target


def app_version() -> str:
    """The version string from the sources (``labeler/__init__.py``), without importing them."""
    for line in (ROOT / "labeler" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("labeler/__init__.py has no __version__")


def main(argv: list[str] | None = None) -> int:
    """Build the bundle and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="recreate the build venv")
    parser.add_argument("--archive", action="store_true", help="also write a .tar.gz")
    args = parser.parse_args(argv)

    BUILD.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    bundle = freeze(make_venv(args.fresh))
    if sys.platform.startswith("linux"):
        add_desktop_files(bundle)
    print(f"bundle: {bundle} ({tree_size(bundle) / 2**20:.0f} MiB)")
    if args.archive:
        tar = archive(bundle, app_version())
        print(f"archive: {tar} ({tar.stat().st_size / 2**20:.0f} MiB)")
    print(f"built in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

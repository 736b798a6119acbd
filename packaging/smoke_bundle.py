"""Build the Linux bundle, then run it as a user would and check what it produces.

    python packaging/smoke_bundle.py             # build, then check
    python packaging/smoke_bundle.py --no-build  # check the bundle already in packaging/dist/

Checks, all with the frozen binary (no Python involved), offscreen, in a scratch HOME and data
folder, and without network where the machine allows a private network namespace:

1. ``prefmark --version`` names the app's version (cold start and warm);
2. the desktop app opens the demo project offscreen, shows its window and quits on a timer;
   the same on a real X server when ``xvfb-run`` is installed (saving a screenshot);
3. headless: import the demo pairs with people's votes on part of them, train and score the
   default reward model (built from the bundled weights), export DPO data (trl-preference)
   and check the export: rows, fields, and both human and model labels in it;
4. ``prefmark demo`` runs the whole pipeline, and the app opens the project it scored.

Prints the bundle's size (folder and .tar.gz) and start-up times; exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_bundle  # noqa: E402  (a sibling script, not a package)

LABELLED_ITEMS = 200  # of the 300 demo pairs: people's votes on these, the model scores the rest
SMOKE_QUIT_MS = "200"
SMOKE_ENV = "PREFMARK_SMOKE_QUIT_MS"  # read by entry.py
SCREENSHOT_ENV = "PREFMARK_SMOKE_SCREENSHOT"


class SmokeError(RuntimeError):
    """A check on the bundle failed."""


def check(condition: bool, message: str) -> None:
    """Raise ``SmokeError`` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SmokeError(message)


def isolated_env(scratch: Path) -> dict[str, str]:
    """A minimal environment: scratch HOME/XDG/data folder, offscreen Qt, nothing of Python's."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(scratch / "home"),
        "XDG_CONFIG_HOME": str(scratch / "home" / ".config"),
        "XDG_DATA_HOME": str(scratch / "home" / ".local" / "share"),
        "XDG_CACHE_HOME": str(scratch / "home" / ".cache"),
        "XDG_RUNTIME_DIR": str(scratch / "runtime"),
        "PREFMARK_DATA_DIR": str(scratch / "data"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    for key in ("HOME", "XDG_RUNTIME_DIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def no_network_prefix() -> list[str]:
    """``unshare --net`` (a namespace with no network) when this machine allows it, else []."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []


class Bundle:
    """Runs the frozen ``prefmark`` binary in the isolated environment and times each run."""

    def __init__(self, folder: Path, env: dict[str, str], prefix: list[str]) -> None:
        self.exe = folder / "prefmark"
        self.env = env
        self.prefix = prefix

    def run(
        self,
        *args: str | Path,
        extra_env: dict[str, str] | None = None,
        timeout: float = 900,
        wrapper: list[str] | None = None,
    ) -> tuple[subprocess.CompletedProcess[str], float]:
        """Run ``prefmark ARGS``; the finished process and its wall time in seconds."""
        cmd = [*self.prefix, *(wrapper or []), str(self.exe), *map(str, args)]
        started = time.perf_counter()
        proc = subprocess.run(
            cmd, env={**self.env, **(extra_env or {})}, capture_output=True, text=True,
            timeout=timeout, cwd=self.env["HOME"],
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SmokeError(
                f"`prefmark {' '.join(map(str, args))}` exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
            )
        return proc, elapsed


def labelled_demo_file(bundle_dir: Path, target: Path) -> Path:
    """The bundled demo pairs as JSONL, with the three people's votes on the first items."""
    data = next(bundle_dir.rglob("labeler/demo/data"))
    items = (data / "pandalm_pairwise.jsonl").read_text(encoding="utf-8").splitlines()
    votes = (data / "pandalm_votes.jsonl").read_text(encoding="utf-8").splitlines()
    with target.open("w", encoding="utf-8") as out:
        for n, (item_line, vote_line) in enumerate(zip(items, votes, strict=True)):
            item = json.loads(item_line)
            (a, b) = item["responses"]
            record: dict[str, Any] = {
                "prompt": item["prompt"],
                "response_a": a["text"],
                "model_a": a.get("model"),
                "response_b": b["text"],
                "model_b": b.get("model"),
            }
            if n < LABELLED_ITEMS:
                for i, verdict in enumerate(json.loads(vote_line)["annotators"], 1):
                    record[f"annotator{i}"] = verdict
            out.write(json.dumps(record) + "\n")
    return target


def check_export(out: Path) -> dict[str, int]:
    """Check a trl-preference export folder; rows per label source."""
    manifest = json.loads((out / "prefmark-export.json").read_text(encoding="utf-8"))
    check(manifest["target"] == "trl-preference", f"export target {manifest['target']!r}")
    rows = 0
    for entry in manifest["files"]:
        lines = (out / entry["path"]).read_text(encoding="utf-8").splitlines()
        check(len(lines) == entry["records"], f"{entry['path']}: {len(lines)} rows, manifest says "
              f"{entry['records']}")  # fmt: skip
        for line in lines:
            row = json.loads(line)
            check({"prompt", "chosen", "rejected"} <= row.keys(), f"row fields: {sorted(row)}")
            check(row["chosen"] != row["rejected"], "a row whose chosen equals rejected")
        rows += len(lines)
    by_source: dict[str, int] = {}
    for split in manifest["by_source"].values():
        for source, count in split.items():
            by_source[source] = by_source.get(source, 0) + count
    check(rows > 0 and sum(by_source.values()) == rows, f"{rows} rows, by source {by_source}")
    check(by_source.get("human", 0) > 0, f"no rows from people's labels: {by_source}")
    check(by_source.get("model", 0) > 0, f"no rows from the model's labels: {by_source}")
    return by_source


def du(path: Path) -> str:
    """``du -sh`` of ``path``."""
    return subprocess.run(["du", "-sh", path], capture_output=True, text=True).stdout.split()[0]


def evict_from_page_cache(folder: Path) -> None:
    """Drop the bundle's files from the page cache, so the next start reads them from disk.

    This is what a first start after download or reboot pays; system libraries outside the
    bundle stay cached, as they are on a desktop in use.
    """
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def check_startup(app: Bundle, bundle_dir: Path, version: str) -> None:
    """``--version``, cold (bundle not in the page cache) and warm."""
    evict_from_page_cache(bundle_dir)
    proc, cold = app.run("--version")
    check(version in proc.stdout, f"--version printed {proc.stdout!r}, not {version}")
    warm = statistics.median(app.run("--version")[1] for _ in range(3))
    print(f"--version: {proc.stdout.strip()!r}; cold {cold:.2f} s, warm {warm:.2f} s")


def check_gui(app: Bundle, bundle_dir: Path, data_dir: Path) -> None:
    """The desktop app opens the demo project (created on first use) offscreen and on X11."""
    smoke_env = {SMOKE_ENV: SMOKE_QUIT_MS}
    evict_from_page_cache(bundle_dir)
    proc, cold = app.run("gui", "--demo", extra_env=smoke_env, timeout=300)
    check("smoke: window" in proc.stdout, f"no window shown: {proc.stdout!r} {proc.stderr!r}")
    check((data_dir / "demo.db").is_file(), "the demo project was not created")
    proc, warm = app.run("gui", "--demo", extra_env=smoke_env, timeout=300)
    print(
        f"GUI, demo project, offscreen: {proc.stdout.strip()}; cold {cold:.2f} s (creates the "
        f"demo project), warm {warm:.2f} s; both include the {SMOKE_QUIT_MS} ms quit timer"
    )

    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        print("GUI on X11: skipped (no xvfb-run)")
        return
    # The real X11 platform plugin, with the X libraries the bundle carries.
    shot = build_bundle.DIST / "smoke-demo-window.png"
    proc, elapsed = app.run(
        "gui", "--demo", timeout=300,
        extra_env={**smoke_env, "QT_QPA_PLATFORM": "xcb", SCREENSHOT_ENV: str(shot)},
        wrapper=[xvfb, "-a", "-s", "-screen 0 1600x1000x24"],
    )  # fmt: skip
    check("smoke: window" in proc.stdout, f"no X11 window: {proc.stderr[-2000:]!r}")
    print(f"GUI on X11 (Xvfb): {elapsed:.2f} s; screenshot {shot}")


def check_demo_command(app: Bundle, scratch: Path) -> None:
    """``prefmark demo``: the whole pipeline on the bundled data; then the app opens its result."""
    out = scratch / "demo"
    proc, elapsed = app.run("demo", "--out", out)
    manifest = json.loads((out / "dpo" / "prefmark-export.json").read_text(encoding="utf-8"))
    rows = sum(entry["records"] for entry in manifest["files"])
    check(rows > 0, "prefmark demo exported no DPO rows")
    print(f"prefmark demo: {elapsed:.1f} s, {rows} DPO rows")
    proc, elapsed = app.run("gui", out / "demo.db", extra_env={SMOKE_ENV: SMOKE_QUIT_MS})
    check("smoke: window" in proc.stdout, f"the scored demo project did not open: {proc.stderr!r}")
    print(f"GUI on the scored demo project: {elapsed:.2f} s")


def check_pipeline(app: Bundle, bundle_dir: Path, scratch: Path) -> None:
    """Import, train, score with the default model and export DPO data, step by step."""
    project = scratch / "smoke.db"
    data = labelled_demo_file(bundle_dir, scratch / "demo-labelled.jsonl")
    steps: list[tuple[str, list[str | Path]]] = [
        ("import", ["import", project, data, "--annotator-fields",
                    "annotator1,annotator2,annotator3"]),
        ("train", ["train", project]),
        ("score", ["score", project, "--model", "default"]),
        # --source all: nothing was routed, so the model's labels are suggestions still
        # waiting for people, which the default (finished) export leaves out. --workers 2:
        # a second process, spawned from the frozen binary as big exports do.
        ("export", ["export", project, "--format", "trl-preference", "--out", scratch / "dpo",
                    "--source", "all", "--workers", "2"]),
    ]  # fmt: skip
    for name, args in steps:
        proc, elapsed = app.run(*args)
        print(f"{name}: {elapsed:.1f} s  {proc.stdout.strip().splitlines()[-1]}")
    by_source = check_export(scratch / "dpo")
    # The bundle carries the int8 graphs built at packaging time: nothing is built here.
    cached = sorted(p.name for p in (scratch / "data" / "models").glob("*.onnx"))
    check(not cached, f"the bundle built an encoder graph on first use: {cached}")
    prebuilt = sorted(p.name for p in bundle_dir.rglob("models/default/prebuilt/*.onnx"))
    check(len(prebuilt) == 2, f"prebuilt int8 graphs in the bundle: {prebuilt}")
    print(f"DPO rows by label source: {by_source}; prebuilt graphs: {prebuilt}")


def check_contents(bundle_dir: Path) -> None:
    """Licences and notices the About dialog shows are inside; test-only packages are not."""
    internal = bundle_dir / "_internal"
    for rel in ("LICENSE", "models/default/LICENSE", "models/default/NOTICE",
                "models/default/model.safetensors", "labeler/demo/NOTICE.md"):  # fmt: skip
        check((internal / rel).is_file(), f"missing from the bundle: {rel}")
    for name in ("torch", "pytest", "hypothesis", "datasets", "pyarrow", "pandas", "tkinter"):
        check(not (internal / name).exists(), f"{name} is in the bundle")
    qt = {p.name for p in (internal / "PySide6").glob("Qt*.so")}
    check(qt <= {"QtCore.abi3.so", "QtGui.abi3.so", "QtWidgets.abi3.so"}, f"Qt modules: {qt}")


def check_desktop_integration(bundle_dir: Path, scratch: Path) -> None:
    """``install.sh`` puts a valid menu entry pointing at the bundle into XDG_DATA_HOME."""
    data_home = scratch / "xdg-data"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch / "home"), "XDG_DATA_HOME": str(data_home)}
    subprocess.run([bundle_dir / "install.sh"], env=env, check=True, capture_output=True)
    desktop = data_home / "applications" / "io.github.prefmark.Prefmark.desktop"
    check(f'Exec="{bundle_dir}/prefmark" %f' in desktop.read_text(encoding="utf-8"),
          "the installed menu entry does not run this bundle")  # fmt: skip
    validate = shutil.which("desktop-file-validate")
    if validate:
        proc = subprocess.run([validate, desktop], capture_output=True, text=True)
        check(proc.returncode == 0, f"desktop-file-validate: {proc.stdout}{proc.stderr}")
    subprocess.run([bundle_dir / "install.sh", "--uninstall"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    check(not desktop.exists(), "install.sh --uninstall left the menu entry")
    print("desktop integration: install.sh adds and removes a valid menu entry")


def smoke(bundle_dir: Path, *, demo: bool = True) -> None:
    """Run every check against the bundle in ``bundle_dir``, printing sizes and times."""
    check((bundle_dir / "prefmark").is_file(), f"no bundle at {bundle_dir}")
    version = build_bundle.app_version()
    archive = next(build_bundle.DIST.glob(f"prefmark-{version}-*.tar.gz"), None)
    if archive is None:
        archive = build_bundle.archive(bundle_dir, version)
    print(f"bundle: {bundle_dir}  du -sh {du(bundle_dir)}  files "
          f"{sum(1 for p in bundle_dir.rglob('*') if p.is_file()):,}")  # fmt: skip
    print(f"archive: {archive.name}  {archive.stat().st_size / 2**20:.0f} MiB")

    check_contents(bundle_dir)

    with tempfile.TemporaryDirectory(prefix="prefmark-smoke-") as tmp:
        scratch = Path(tmp)
        check_desktop_integration(bundle_dir, scratch)
        prefix = no_network_prefix()
        print("network: none (unshare --net)" if prefix else "network: not isolated")
        app = Bundle(bundle_dir, isolated_env(scratch), prefix)
        check_startup(app, bundle_dir, version)
        check_gui(app, bundle_dir, scratch / "data")
        check_pipeline(app, bundle_dir, scratch)
        if demo:
            check_demo_command(app, scratch)
    print("smoke: OK")


def main(argv: list[str] | None = None) -> int:
    """Build (unless --no-build) and smoke-test the bundle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="test the existing bundle")
    parser.add_argument("--bundle", type=Path, default=build_bundle.DIST / "prefmark")
    parser.add_argument("--no-demo", action="store_true", help="skip `prefmark demo` (slow)")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("the smoke check runs on Linux only", file=sys.stderr)
        return 2
    if not args.no_build:
        build_bundle.main(["--archive"])
    try:
        smoke(args.bundle.resolve(), demo=not args.no_demo)
    except SmokeError as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

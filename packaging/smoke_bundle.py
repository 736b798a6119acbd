"""Build the Linux bundle, then run it as a user would and check what it produces.

    python packaging/smoke_bundle.py             # build, then check
    python packaging/smoke_bundle.py --no-build  # check the bundle already in packaging/dist/

Checks, all with the frozen binary (no Python involved), offscreen, in a scratch HOME and data
folder, and without network where the machine allows a private network namespace:

1. ``prefmark --version`` names the app's version;
2. the desktop app opens the demo project offscreen, shows its window and quits on a timer;
3. headless: import the demo pairs with people's votes on part of them, train and score the
   default reward model (built from the bundled weights), export DPO data (trl-preference)
   and check the export: rows, fields, and both human and model labels in it.

Prints the bundle's size (folder and .tar.gz) and start-up times; exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import json
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


def smoke(bundle_dir: Path) -> None:
    """Run every check against the bundle in ``bundle_dir``, printing sizes and times."""
    check((bundle_dir / "prefmark").is_file(), f"no bundle at {bundle_dir}")
    version = build_bundle.app_version()
    archive = next(build_bundle.DIST.glob(f"prefmark-{version}-*.tar.gz"), None)
    if archive is None:
        archive = build_bundle.archive(bundle_dir, version)
    print(f"bundle: {bundle_dir}  du -sh {du(bundle_dir)}  files "
          f"{sum(1 for p in bundle_dir.rglob('*') if p.is_file()):,}")  # fmt: skip
    print(f"archive: {archive.name}  {archive.stat().st_size / 2**20:.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="prefmark-smoke-") as tmp:
        scratch = Path(tmp)
        prefix = no_network_prefix()
        print("network: none (unshare --net)" if prefix else "network: not isolated")
        app = Bundle(bundle_dir, isolated_env(scratch), prefix)

        # 1. --version: first start after the build, then warm starts.
        proc, first = app.run("--version")
        check(version in proc.stdout, f"--version printed {proc.stdout!r}, not {version}")
        warm = statistics.median(app.run("--version")[1] for _ in range(3))
        print(f"--version: {proc.stdout.strip()!r}; first {first:.2f} s, warm {warm:.2f} s")

        # 2. The desktop app on the demo project (created on first use), offscreen, on a timer.
        smoke_env = {"PREFMARK_SMOKE_QUIT_MS": SMOKE_QUIT_MS}
        proc, first = app.run("gui", "--demo", extra_env=smoke_env, timeout=300)
        check("smoke: window" in proc.stdout, f"no window shown: {proc.stdout!r} {proc.stderr!r}")
        check((scratch / "data" / "demo.db").is_file(), "the demo project was not created")
        proc, warm = app.run("gui", "--demo", extra_env=smoke_env, timeout=300)
        print(f"GUI demo window: {proc.stdout.strip()}; first {first:.2f} s (creates the demo "
              f"project), warm {warm:.2f} s (quit timer {SMOKE_QUIT_MS} ms)")  # fmt: skip
        xvfb = shutil.which("xvfb-run")
        if xvfb:  # the real X11 platform plugin and the X libraries the bundle carries
            shot = build_bundle.DIST / "smoke-demo-window.png"
            proc, elapsed = app.run(
                "gui", "--demo", timeout=300,
                extra_env={**smoke_env, "QT_QPA_PLATFORM": "xcb",
                           "PREFMARK_SMOKE_SCREENSHOT": str(shot)},
                wrapper=[xvfb, "-a", "-s", "-screen 0 1600x1000x24"],
            )  # fmt: skip
            check("smoke: window" in proc.stdout, f"no X11 window: {proc.stderr[-2000:]!r}")
            print(f"GUI demo window on X11 (Xvfb): {elapsed:.2f} s; screenshot {shot}")
        else:
            print("GUI on X11: skipped (no xvfb-run)")

        # 3. Headless pipeline: import, train, score with the default model, export DPO data.
        project = scratch / "smoke.db"
        data = labelled_demo_file(bundle_dir, scratch / "demo-labelled.jsonl")
        timings: dict[str, float] = {}
        steps: list[tuple[str, list[str | Path]]] = [
            ("import", ["import", project, data, "--annotator-fields",
                        "annotator1,annotator2,annotator3"]),
            ("train", ["train", project]),
            ("score", ["score", project, "--model", "default"]),
            ("export", ["export", project, "--format", "trl-preference",
                        "--out", scratch / "dpo"]),
        ]  # fmt: skip
        for name, args in steps:
            proc, timings[name] = app.run(*args)
            print(f"{name}: {timings[name]:.1f} s  {proc.stdout.strip().splitlines()[-1]}")
        by_source = check_export(scratch / "dpo")
        cached = sorted(p.name for p in (scratch / "data" / "models").glob("*.onnx"))
        check(bool(cached), "no encoder graph was cached in the data folder")
        print(f"export rows by source: {by_source}; model cache: {cached}")
    print("smoke: OK")


def main(argv: list[str] | None = None) -> int:
    """Build (unless --no-build) and smoke-test the bundle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="test the existing bundle")
    parser.add_argument("--bundle", type=Path, default=build_bundle.DIST / "prefmark")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("the smoke check runs on Linux only", file=sys.stderr)
        return 2
    if not args.no_build:
        build_bundle.main(["--archive"])
    try:
        smoke(args.bundle.resolve())
    except SmokeError as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

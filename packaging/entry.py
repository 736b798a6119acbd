"""The frozen app's one entry point: the desktop app with no arguments, else the CLI.

    prefmark                       open the desktop app (start screen or the last project)
    prefmark PROJECT.db            open PROJECT in the desktop app (file managers pass %f)
    prefmark score PROJECT.db ...  any ``prefmark`` command, headless, as from the wheel

One binary serves both, so a bundle needs no Python to run the pipeline from a script either.
``PREFMARK_SMOKE_QUIT_MS=N`` makes a GUI launch quit N ms after its event loop starts, printing
the window it shows and exiting non-zero if none is visible: the offscreen smoke check.
``PREFMARK_SMOKE_SCREENSHOT=FILE.png`` also saves what the window shows.
"""

from __future__ import annotations

import os
import sys

SMOKE_ENV = "PREFMARK_SMOKE_QUIT_MS"
SCREENSHOT_ENV = "PREFMARK_SMOKE_SCREENSHOT"


def cli_args(argv: list[str]) -> list[str]:
    """The ``prefmark`` arguments that do what ``argv`` asks (``argv`` without the program)."""
    from labeler.cli import COMMANDS

    if not argv:
        return ["gui"]
    first = argv[0]
    if first not in COMMANDS and not first.startswith("-") and first.endswith(".db"):
        return ["gui", *argv]
    return argv


def prepare_gui() -> object:
    """The QApplication with the app's identity and icon (keep a reference: the app is
    destroyed with its last one)."""
    from ui.app import application

    return application()


def arm_smoke_timer(delay_ms: int) -> None:
    """Quit the QApplication ``delay_ms`` after its event loop starts, checking the window."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)

    def check_and_quit() -> None:
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMainWindow) and w.isVisible()
        ]
        for window in windows:
            print(f"smoke: window {window.windowTitle()!r} {window.width()}x{window.height()}")
        shot = os.environ.get(SCREENSHOT_ENV)
        if shot and windows:
            windows[0].grab().save(shot)
        app.exit(0 if windows else 3)

    QTimer.singleShot(delay_ms, check_and_quit)


def main() -> None:
    """Dispatch to the GUI or to ``labeler.cli.main``."""
    from labeler.cli import main as cli_main

    args = cli_args(sys.argv[1:])
    app = prepare_gui() if args[0] == "gui" else None  # referenced until the CLI returns
    smoke = os.environ.get(SMOKE_ENV)
    if app is not None and smoke:
        arm_smoke_timer(int(smoke))
    cli_main(args, prog_name="prefmark")


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # a big export's spawned process runs its part here
    main()

"""Before Qt starts on Linux/X11: is every system library its xcb platform plugin needs there?

Without one, Qt prints a generic "could not load the Qt platform plugin" and aborts the
process. Loading the plugin's library first (as Qt would) turns that into one sentence naming
the missing library and the package that provides it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package; the README lists the same set
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
_MISSING = re.compile(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file")


class QtCannotStart(RuntimeError):
    """The desktop app cannot start on this system; the message says what to install."""


def explain_missing(error: str) -> str | None:
    """The sentence for a loader error naming a missing library (None if it names none)."""
    found = _MISSING.search(error)
    if found is None:
        return None
    soname = found.group(1)
    package = PACKAGES.get(soname)
    install = f" (on Debian/Ubuntu: the {package} package)" if package else ""
    return (
        f"the desktop app cannot start: the system library {soname} is missing{install}; "
        "the README lists every library the app needs on Linux"
    )


def _platform() -> str:
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen:
        return chosen
    wayland = os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland"
    return "wayland" if wayland else "xcb"


def plugin_library(name: str = "xcb") -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Qt/plugins/platforms"
    library = path / f"libq{name}.so"
    return library if library.is_file() else None


def check_platform() -> None:
    """Raise QtCannotStart naming the missing library when the X11 plugin cannot load."""
    if not sys.platform.startswith("linux") or _platform() != "xcb":
        return
    library = plugin_library("xcb")
    if library is None:
        return
    try:
        ctypes.CDLL(str(library))
    except OSError as exc:
        message = explain_missing(str(exc))
        if message is not None:
            raise QtCannotStart(message) from None

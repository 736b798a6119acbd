"""Image references in imported records are untrusted: each is checked before it is stored.

A path must name an image file inside an allowed folder (the import file's own, or one the
person named): a record cannot make the app read ``/etc/passwd`` or a file in someone's home
folder by writing ``../../..``. A ``data:`` URI must be base64 of a raster image, and every
image must stay within Pillow's pixel limit, the one the app's viewer decodes up to. Remote
URLs are kept as they are: the app never loads them.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

from labeler.importers.errors import RecordError

if TYPE_CHECKING:
    import sqlite_utils

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "PPM", "TGA")
"""Raster formats only: Pillow hands some others (EPS) to outside programs."""
MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""An image file beyond this is refused unread (the viewer does not read it either)."""
_DATA_URI = re.compile(r"data:image/[a-z0-9.+-]+(?:;[a-z0-9=._+-]+)*;base64,", re.IGNORECASE)
REMOTE = ("http://", "https://")
FOLDERS_META = "image_folders"
"""Project meta: the folders its imports allowed images from; the app reads images only there."""


def _short(ref: str) -> str:
    return ref if len(ref) <= 80 else ref[:77] + "..."


def _check_pixels(fh: IO[bytes], ref: str, field: str) -> None:
    """Refuse what Pillow cannot identify as a raster image, or one over its pixel limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh, formats=IMAGE_FORMATS) as pil:  # reads the header only
                width, height = pil.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        width = height = -1
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise RecordError(field, f"{_short(ref)}: not an image that can be read") from None
    limit = Image.MAX_IMAGE_PIXELS or 0
    if width < 0 or (limit and width * height > limit):
        raise RecordError(field, f"{_short(ref)}: more than {limit:,} pixels")


def _data_uri(ref: str, field: str) -> str:
    head = _DATA_URI.match(ref)
    if head is None:
        raise RecordError(field, f"{_short(ref)}: a data: URI must be data:image/TYPE;base64,DATA")
    try:
        raw = base64.b64decode(ref[head.end() :], validate=True)
    except (binascii.Error, ValueError):
        raise RecordError(field, f"{_short(ref)}: the data: URI holds invalid base64") from None
    _check_pixels(io.BytesIO(raw), _short(ref), field)
    return ref


def inside(path: Path, roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` (resolved) lies in one of the (resolved) folders ``roots``."""
    return any(path.is_relative_to(root) for root in roots)


def check_image_ref(ref: str, field: str, base_dir: Path, allowed: tuple[Path, ...]) -> str:
    """The image reference as stored (an absolute path for a file), or RecordError.

    Relative paths start at ``base_dir``; the resolved path must lie in one of ``allowed``
    (``base_dir`` itself when none is given).
    """
    if ref.startswith("data:"):
        return _data_uri(ref, field)
    if ref.startswith(REMOTE):
        return ref
    try:
        path = (base_dir / ref).resolve()
        folders_ok = tuple(r.resolve() for r in allowed or (base_dir,))
        if not inside(path, folders_ok):
            folders = " or ".join(str(r) for r in folders_ok)
            raise RecordError(field, f"{_short(ref)}: outside the allowed folder {folders}")
        if not path.is_file():
            raise RecordError(field, f"{_short(ref)}: no such image file")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise RecordError(field, f"{_short(ref)}: over {MAX_IMAGE_BYTES:,} bytes")
        with path.open("rb") as fh:
            _check_pixels(fh, ref, field)
    except OSError as exc:  # a name too long, a folder we may not read...
        raise RecordError(field, f"{_short(ref)}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(field, f"{_short(ref)}: not a usable path ({exc})") from None
    return str(path)


def project_image_folders(db: sqlite_utils.Database, project: Path | None) -> tuple[Path, ...]:
    """The folders the app may read a project's images from: those its imports allowed, and
    the project file's own folder."""
    from labeler.store.meta import get_meta

    raw = get_meta(db, FOLDERS_META)
    try:
        stored = [Path(p) for p in json.loads(raw)] if raw else []
    except (ValueError, TypeError):
        stored = []
    own = [project.resolve().parent] if project is not None else []
    return tuple(dict.fromkeys([*stored, *own]))


def remember_image_folders(db: sqlite_utils.Database, folders: Iterable[Path]) -> None:
    """Add ``folders`` (resolved) to the project's allowed image folders."""
    from labeler.store.meta import get_meta, set_meta

    raw = get_meta(db, FOLDERS_META)
    try:
        known = list(json.loads(raw)) if raw else []
    except (ValueError, TypeError):
        known = []
    merged = list(dict.fromkeys([*known, *(str(f.resolve()) for f in folders)]))
    if merged != known:
        set_meta(db, FOLDERS_META, json.dumps(merged))

"""About prefmark: version, licences of what ships inside it, and where its files live."""

from __future__ import annotations

import html
import platform
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from labeler import __version__
from labeler.about import data_dir

# Licence and attribution files shipped as package data: (package, path, heading).
NOTICES = (
    ("models", "default/NOTICE", "Default reward model (all-MiniLM-L6-v2 encoder)"),
    ("labeler", "demo/NOTICE.md", "Demo data"),
)


@dataclass(frozen=True, slots=True)
class AboutInfo:
    version: str
    qt_version: str
    python_version: str
    data_dir: Path
    model_cache: Path
    project_path: Path | None
    notices: list[tuple[str, str]] = field(default_factory=list)
    runtime: str = ""


def read_notice(package: str, path: str) -> str | None:
    try:
        return (resources.files(package) / path).read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return None


def about_info(project_path: Path | None = None) -> AboutInfo:
    """What the dialog shows; the data folder honours PREFMARK_DATA_DIR."""
    base = data_dir()
    from labeler.workflows.models import runtime_summary

    notices = [(title, text) for pkg, path, title in NOTICES if (text := read_notice(pkg, path))]
    return AboutInfo(
        version=__version__,
        qt_version=PySide6.__version__,
        python_version=platform.python_version(),
        data_dir=base,
        model_cache=base / "models",
        project_path=project_path,
        notices=notices,
        runtime=runtime_summary(),
    )


def about_html(info: AboutInfo) -> str:
    esc = html.escape
    project = esc(str(info.project_path)) if info.project_path else "no project open"
    parts = [
        f"<h2>prefmark {esc(info.version)}</h2>",
        "<p>Build LLM preference data sets offline: label, review, route and export.</p>",
        f"<p>Python {esc(info.python_version)} · PySide6 {esc(info.qt_version)} · "
        f"{esc(info.runtime)}</p>",
        "<h3>Where your files are</h3><ul>",
        f"<li>Project file: <code>{project}</code></li>",
        f"<li>Data folder: <code>{esc(str(info.data_dir))}</code> "
        "(set <code>PREFMARK_DATA_DIR</code> to move it)</li>",
        f"<li>Cached model files: <code>{esc(str(info.model_cache))}</code></li>",
        f"<li>Log of what failed: <code>{esc(str(info.data_dir / 'prefmark.log'))}</code>"
        "</li></ul>",
        "<h3>Licences</h3><p>prefmark is licensed under the Apache License 2.0.</p>",
    ]
    for title, text in info.notices:
        parts.append(f"<h4>{esc(title)}</h4><pre style='white-space: pre-wrap'>{esc(text)}</pre>")
    return "".join(parts)


class AboutDialog(QDialog):
    def __init__(self, project_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About prefmark")
        self.info = about_info(project_path)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.browser.setHtml(about_html(self.info))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(620, 560)

"""What an export is asked to do (``ExportOptions``) and what it did (``ExportReport``)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import PurePath
from typing import TYPE_CHECKING

from labeler.exporters.engine.policies import ConflictPolicy, Selection, SourceFilter
from labeler.exporters.engine.writer import SplitFile
from labeler.exporters.formats.pairs import PairRule
from labeler.store.meta import get_conflict_policy

if TYPE_CHECKING:
    import sqlite_utils


class Variant(StrEnum):
    """``auto``: conversational when any item was imported as chat, else standard."""

    AUTO = "auto"
    STANDARD = "standard"
    CONVERSATIONAL = "conversational"


@dataclass(frozen=True)
class ExportOptions:
    target: str = "trl-preference"
    variant: Variant = Variant.AUTO
    source: SourceFilter = SourceFilter.FINISHED
    annotators: tuple[str, ...] = ()
    min_confidence: float | None = None
    routes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    keep_ties: bool = False
    conflicts: ConflictPolicy | None = field(
        default=None,
        metadata={"help": "When people's labels of an item disagree; any: the project's "
                  "setting (Project > Conflicting labels), which training and stats follow too"},
    )  # fmt: skip
    """How disagreeing people's labels are settled for this export; None: the project's
    policy (``labeler.resolution``), which training, stats and routing use too."""
    test_size: float = 0.1
    seed: int = 0
    bare: bool = False
    parquet: bool = False
    pairs: PairRule = PairRule.ALL
    kto_require_support: bool = False
    margin: bool = field(
        default=False,
        metadata={"help": "Add a margin column: the strength people stated (slightly 1, "
                  "much better 2), 0 for other pairs; reward-model training subtracts it "
                  "inside the loss"},
    )  # fmt: skip
    license: str | None = None
    name: str | None = None
    chunk_size: int = 5000
    workers: int | None = 1
    """Processes to export with; None: automatic, two for a big JSONL export (``parallel``).
    One by default here: helper processes are spawned, so a script calling the library needs
    an ``if __name__ == "__main__":`` guard for more; the CLI and the app ask for None."""
    command: str | None = None

    def for_project(self, db: sqlite_utils.Database) -> ExportOptions:
        """These options with the project's conflict policy where none was asked for."""
        if self.conflicts is not None:
            return self
        return replace(self, conflicts=get_conflict_policy(db))

    def selection(self) -> Selection:
        return Selection(
            self.source,
            frozenset(self.annotators),
            self.min_confidence,
            frozenset(self.routes),
            frozenset(self.tags),
        )

    def command_line(self, project: str, out_dir: str) -> str:
        """The ``prefmark export`` command that asks for exactly these options.

        Only the names of the project and the folder are written: the command goes into the
        dataset card and manifest, which never carry a local absolute path.

        >>> ExportOptions(keep_ties=True, tags=("math",)).command_line("p.db", "out")
        'prefmark export p.db --format trl-preference --out out --tag math --keep-ties'
        """
        project, out_dir = PurePath(project).name, PurePath(out_dir).name
        args = ["prefmark", "export", project, "--format", self.target, "--out", out_dir]
        default = ExportOptions()
        for f in fields(self):
            if f.name in ("target", "chunk_size", "workers", "command"):
                continue
            value, flag = getattr(self, f.name), _FLAGS[f.name]
            if value == getattr(default, f.name):
                continue
            if isinstance(value, bool):
                args.append(flag)
            elif isinstance(value, tuple):
                for v in value:
                    args += [flag, str(v)]
            else:
                args += [flag, str(value)]
        return shlex.join(args)


_FLAGS = {
    "variant": "--variant",
    "source": "--source",
    "annotators": "--annotator",
    "min_confidence": "--min-confidence",
    "routes": "--route",
    "tags": "--tag",
    "keep_ties": "--keep-ties",
    "conflicts": "--conflicts",
    "test_size": "--test-size",
    "seed": "--seed",
    "bare": "--bare",
    "parquet": "--parquet",
    "pairs": "--pairs",
    "kto_require_support": "--kto-require-support",
    "margin": "--margin",
    "license": "--license",
    "name": "--name",
}


@dataclass
class ExportReport:
    """Counts of one export; ``summary()`` is what the CLI prints."""

    target: str
    variant: str
    file_format: str
    out_dir: str
    files: list[SplitFile] = field(default_factory=list)
    items_scanned: int = 0
    items_labelled: int = 0
    items_exported: int = 0
    conflicts: int = 0
    normalised: int = 0
    """Exported items whose chat was normalised to alternate (``formats.messages``)."""
    dropped: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def summary(self) -> str:
        splits = ", ".join(f"{f.split} {f.records:,}" for f in self.files)
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"Exported {self.records:,} {self.target} records ({self.variant}, "
            f"{self.file_format}; {splits}) from {self.items_exported:,} of the "
            f"{self.items_labelled:,} items with a label (a model's or judge's included) "
            f"to {self.out_dir} in "
            f"{self.seconds:.1f}s ({rate:,.0f} records/s)."
        )
        if self.conflicts:
            text += f" {self.conflicts:,} items had conflicting human labels."
        if self.normalised:
            text += (
                f" {self.normalised:,} chats had turns of one role in a row and were merged "
                "to alternate."
            )
        if self.dropped:
            text += (
                " Left out: "
                + ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.dropped.items()))
                + "."
            )
        return text

"""Import a corpus of several hundred malformed files and count what happened to each.

Every file of ``tests/core/malformed_corpus.py`` (every format and record shape, broken in
every way a real file breaks) is imported four ways: into a new and an existing project,
with and without ``--skip-bad``. The target: every refusal is one line naming the file, no
traceback, and the project is unchanged (a new one not created).
``python benchmarks/malformed_imports.py [--seed 0]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "core"))

from malformed_corpus import check, corpus, run_import


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cases = corpus(Path(tmp) / "corpus", args.seed)
        work = Path(tmp) / "work"
        work.mkdir()
        counts: Counter[str] = Counter()
        problems: list[str] = []
        for case in cases:
            problems += check(case, work)
            counts[run_import(case, work / f"probe-{case.path.name}.db", skip_bad=False).kind] += 1
    for problem in problems:
        print(problem)
    refused = sum(c.must_fail is True for c in cases)
    print(
        f"{len(cases)} files ({refused} that must be refused): {counts['imported']} imported, "
        f"{counts['refused']} refused in one line, {counts['crashed']} crashed; "
        f"{len(problems)} problems in {4 * len(cases)} more imports "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

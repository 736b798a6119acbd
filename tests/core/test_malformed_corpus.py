"""A corpus of several hundred malformed files (see ``malformed_corpus``): each is imported or
refused in one line naming the file, with the project unchanged, into a new and an existing
project, with and without skipping bad records. The default run takes a sample of the
corpus; the slow set imports all of it (``benchmarks/malformed_imports.py`` prints counts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from malformed_corpus import Case, check, corpus

SAMPLE_EVERY = 60  # about nine files of the corpus in the default run


def _cases(tmp: Path) -> list[Case]:
    return corpus(tmp / "corpus")


def test_a_sample_of_the_malformed_corpus_is_refused_in_one_line(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    assert len(cases) > 400
    work = tmp_path / "work"
    work.mkdir()
    problems = [p for case in cases[::SAMPLE_EVERY] for p in check(case, work)]
    assert problems == []


@pytest.mark.slow
def test_the_whole_malformed_corpus_is_refused_in_one_line(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    problems = [p for case in cases for p in check(case, work)]
    assert problems == []

"""Numbers on screen say what they count: in-sample agreement, subsets, scales, sources."""

from __future__ import annotations

from labeler.agreement import Agreement
from ui.panels.agreement_panel import agreement_sentence


def test_agreement_sentence_names_the_subset_and_the_in_sample_items() -> None:
    text = agreement_sentence(Agreement("all", both=29, decisive=21, agree=20, in_sample=31))
    assert "95.2% of 21 decisive items (of 29 with both labels)" in text
    assert "31 items are left out: the model was trained on their labels" in text


def test_agreement_sentence_without_an_independent_check_says_so() -> None:
    text = agreement_sentence(Agreement("all", both=0, decisive=0, agree=0, in_sample=21))
    assert text.startswith("No independent check yet.")
    assert "100%" not in text

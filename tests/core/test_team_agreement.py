"""Agreement statistics: hand-computed small cases, and PandaLM's three annotators checked
against values computed once with the published implementations (cited per constant)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.team_agreement import (
    MISSING,
    choice_agreement,
    cohen_kappa,
    estimate,
    fleiss_kappa,
    kendall_tau,
    krippendorff_alpha,
    ranking_agreement,
)

# Computed once with statsmodels, krippendorff and scikit-learn (versions and calls cited in
# the file).
REFERENCE = json.loads((Path(__file__).parent / "golden" / "pandalm_agreement.json").read_text())


def pandalm(shared_data: Path) -> np.ndarray:
    rows = json.loads((shared_data / "PandaLM/data/testset-v1.json").read_text())
    cat = {1: 0, 0: 1, 2: 2}
    return np.array([[cat[r[f"annotator{k}"]] for k in (1, 2, 3)] for r in rows])


def test_cohen_kappa_by_hand() -> None:
    # Table [[1, 1], [0, 2]] / 4: observed 3/4, expected 1/2 * 1/4 + 1/2 * 3/4 = 1/2.
    r = np.array([[0, 0], [1, 1], [0, 1], [1, 1]])
    assert cohen_kappa(r, 2) == pytest.approx(0.5)
    assert cohen_kappa(np.array([[0, 0], [1, 1]]), 2) == pytest.approx(1.0)
    # A missing answer leaves the item out.
    assert cohen_kappa(np.array([[0, 0], [1, 1], [0, MISSING]]), 2) == pytest.approx(1.0)


def test_fleiss_kappa_by_hand() -> None:
    # P_i = 1, 1/3, 1 (mean 7/9); shares 4/9, 5/9 (P_e = 41/81): kappa = 22/40.
    r = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1]])
    assert fleiss_kappa(r, 2) == pytest.approx(0.55)


def test_krippendorff_alpha_by_hand() -> None:
    # Coincidences o = [[2, 1], [1, 4]] (n = 8 values): D_o = 2/8, D_e = 2 * 3 * 5 / (8 * 7).
    r = np.array([[0, 0], [1, 1], [0, 1], [1, 1]])
    assert krippendorff_alpha(r, 2) == pytest.approx(1 - 0.25 / (30 / 56))
    # Ordinal: a near miss (A vs tie) costs less than a far one (A vs B).
    near = np.array([[0, 0], [2, 2], [1, 1], [0, 1], [2, 2], [0, 0]])
    far = np.array([[0, 0], [2, 2], [1, 1], [0, 2], [2, 2], [0, 0]])
    assert krippendorff_alpha(near, 3, "ordinal") > krippendorff_alpha(far, 3, "ordinal")
    assert krippendorff_alpha(near, 3) == pytest.approx(krippendorff_alpha(far, 3), abs=0.1)


def test_kendall_tau_by_hand() -> None:
    assert kendall_tau([3, 2, 1], [3, 2, 1]) == 1.0
    assert kendall_tau([3, 2, 1], [1, 2, 3]) == -1.0
    # tau-b with a tie: concordant 2, discordant 0; 3 and 2 untied pairs: 2 / sqrt(6).
    assert kendall_tau([3, 2, 1], [2, 2, 1]) == pytest.approx(2 / 6**0.5)


def test_pandalm_matches_reference_implementations(shared_data: Path) -> None:
    r = pandalm(shared_data)
    assert fleiss_kappa(r, 3) == pytest.approx(REFERENCE["fleiss"], abs=1e-9)
    assert krippendorff_alpha(r, 3) == pytest.approx(REFERENCE["alpha_nominal"], abs=1e-9)
    assert krippendorff_alpha(r, 3, "ordinal") == pytest.approx(
        REFERENCE["alpha_ordinal"], abs=1e-9
    )
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        assert cohen_kappa(r[:, [i, j]], 3) == pytest.approx(REFERENCE[f"cohen_{i}{j}"], abs=1e-9)
    missing = r.copy()
    missing[::3, 2] = MISSING
    assert krippendorff_alpha(missing, 3) == pytest.approx(
        REFERENCE["alpha_nominal_missing"], abs=1e-9
    )
    assert krippendorff_alpha(missing, 3, "ordinal") == pytest.approx(
        REFERENCE["alpha_ordinal_missing"], abs=1e-9
    )


def test_pandalm_report_has_intervals_and_item_counts(shared_data: Path) -> None:
    r = pandalm(shared_data)
    report = choice_agreement(r, ("ann1", "ann2", "ann3"), reps=200)
    fleiss = report.overall[0]
    assert fleiss.items == 999
    assert fleiss.value == pytest.approx(REFERENCE["fleiss"])
    assert fleiss.low is not None
    assert fleiss.high is not None
    assert fleiss.value is not None
    assert fleiss.low < fleiss.value < fleiss.high
    assert 0.02 < fleiss.high - fleiss.low < 0.15  # 999 items: a few points wide
    assert [(p.first, p.second, p.items) for p in report.pairs] == [
        ("ann1", "ann2", 999),
        ("ann1", "ann3", 999),
        ("ann2", "ann3", 999),
    ]
    assert report.pairs[0].kappa.value == pytest.approx(REFERENCE["cohen_01"])


def test_pairs_use_only_shared_items_and_undefined_is_none() -> None:
    r = np.array([[0, 0, MISSING], [2, 2, MISSING], [MISSING, 0, 2], [1, 1, 1]])
    report = choice_agreement(r, ("a", "b", "c"), reps=50)
    counts = {(p.first, p.second): p.items for p in report.pairs}
    assert counts == {("a", "b"): 3, ("a", "c"): 1, ("b", "c"): 2}
    # One category only: kappa is undefined, and shown as such rather than as a number.
    flat = estimate("k", lambda x: cohen_kappa(x, 3), np.array([[0, 0], [0, 0]]))
    assert flat.value is None
    assert flat.items == 2


def test_ranking_agreement_means_per_pair() -> None:
    out = ranking_agreement({("a", "b"): [1.0, 1.0 / 3, -1.0 / 3]}, reps=100)
    assert out[0].items == 3
    assert out[0].value == pytest.approx(1.0 / 3)
    assert out[0].low is not None
    assert out[0].high is not None
    assert out[0].value is not None
    assert out[0].low <= out[0].value <= out[0].high


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=2, max_size=40))
def test_two_annotators_statistics_are_consistent(rows: list[tuple[int, int]]) -> None:
    r = np.array(rows)
    kappa, alpha = cohen_kappa(r, 3), krippendorff_alpha(r, 3)
    if np.all(r[:, 0] == r[:, 1]) and len(np.unique(r)) > 1:
        assert kappa == pytest.approx(1.0)
        assert alpha == pytest.approx(1.0)
    # Alpha corrects kappa for small samples: alpha = 1 - (n-1)/n * (1 - pi) and Scott's pi
    # equals Fleiss' kappa for two raters.
    pi = fleiss_kappa(r, 3)
    n = 2 * len(rows)
    if np.isfinite(pi) and np.isfinite(alpha):
        assert alpha == pytest.approx(1 - (n - 1) / n * (1 - pi), abs=1e-9)
    if np.isfinite(kappa):
        assert -1.0 - 1e-9 <= kappa <= 1.0 + 1e-9

"""The audit estimate: interval coverage in simulation and the "how many more" answer."""

from __future__ import annotations

import numpy as np
import pytest

from labeler.routing.audit import (
    estimate_quality,
    more_audits_needed,
    wilson_interval,
)


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(45, 50)
    assert lo == pytest.approx(0.7864, abs=1e-3)
    assert hi == pytest.approx(0.9565, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == 1.0


@pytest.mark.parametrize("true_acc", [0.7, 0.9, 0.97])
@pytest.mark.parametrize("audit_size", [40, 150])
def test_interval_covers_true_accuracy_at_the_stated_rate(
    true_acc: float, audit_size: int
) -> None:
    """Simulated projects: random audit of model-routed items, check the 95% intervals."""
    rng = np.random.default_rng(int(true_acc * 1000) + audit_size)
    n_model, n_human, trials = 3000, 1000, 1500
    ai_hits = hybrid_hits = 0
    for _ in range(trials):
        correct = rng.random(n_model) < true_acc
        sample = rng.choice(n_model, size=audit_size, replace=False)
        est = estimate_quality(
            audit_size, int(correct[sample].sum()), n_human + audit_size, n_model - audit_size
        )
        # the truth the estimate targets: accuracy of the labels that stay unchecked
        rest = np.ones(n_model, dtype=bool)
        rest[sample] = False
        ai_truth = correct[rest].mean()
        hybrid_truth = (n_human + audit_size + correct[rest].sum()) / (n_human + n_model)
        ai_hits += est.ai_interval[0] <= ai_truth <= est.ai_interval[1]
        hybrid_hits += est.hybrid_interval[0] <= hybrid_truth <= est.hybrid_interval[1]
    # Wilson's coverage oscillates around the nominal 95%; 3 s.e. of 1500 trials is ~1.7 pts
    assert ai_hits / trials >= 0.93
    assert hybrid_hits / trials >= 0.93


def test_more_audits_needed_reaches_the_target() -> None:
    est = estimate_quality(50, 45, 500, 1000)
    extra = more_audits_needed(est, 0.03)
    assert extra is not None
    assert extra > 0
    n = 50 + extra
    lo, hi = wilson_interval(round(0.9 * n), n)
    assert (hi - lo) / 2 <= 0.03
    lo, hi = wilson_interval(round(0.9 * (n - 1)), n - 1)
    assert (hi - lo) / 2 > 0.03
    assert more_audits_needed(est, 0.5) == 0
    hybrid = more_audits_needed(est, 0.03, of="hybrid")
    assert hybrid is not None
    assert hybrid < extra


def test_hybrid_estimate_is_the_weighted_mix() -> None:
    est = estimate_quality(100, 80, 300, 700)
    assert est.ai_accuracy == pytest.approx(0.8)
    assert est.hybrid_accuracy == pytest.approx((300 + 0.8 * 700) / 1000)
    assert est.hybrid_interval[0] < est.hybrid_accuracy < est.hybrid_interval[1]

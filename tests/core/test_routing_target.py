"""The quality target's arithmetic on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from labeler.routing.target import _binom_cdf, clopper_pearson_upper, plan_for_target


def test_clopper_pearson_upper_bounds_in_closed_form() -> None:
    # 0 errors in n: P(X <= 0) = (1 - p)^n = alpha  ->  p = 1 - alpha^(1/n)
    assert clopper_pearson_upper(0, 10, 0.9) == pytest.approx(1 - 0.1 ** (1 / 10), abs=1e-9)
    assert clopper_pearson_upper(0, 20, 0.95) == pytest.approx(1 - 0.05 ** (1 / 20), abs=1e-9)
    # n - 1 errors in n: P(X <= n - 1) = 1 - p^n = alpha  ->  p = (1 - alpha)^(1/n)
    assert clopper_pearson_upper(9, 10, 0.9) == pytest.approx(0.9 ** (1 / 10), abs=1e-9)
    assert clopper_pearson_upper(10, 10, 0.9) == 1.0
    assert clopper_pearson_upper(0, 0, 0.9) == 1.0
    # 2 errors in 20: the bound is where the binomial CDF equals alpha
    u = clopper_pearson_upper(2, 20, 0.9)
    assert _binom_cdf(2, 20, u) == pytest.approx(0.1, abs=1e-9)
    assert 2 / 20 < u < 0.3


def test_plan_with_a_clean_audit_below_every_cut() -> None:
    """100 unaudited items, 20 audited all right and all least risky. With k to people the
    other 100 - k keep AI labels whose error rate is at most u = 1 - 0.1^(1/20) = 0.10875
    (90%), so accuracy >= 1 - (100 - k) u / 120. For 95%: 100 - k <= 6 / u = 55.2, k = 45."""
    risk = np.arange(100, 0, -1).astype(float)
    plan = plan_for_target(risk, np.zeros(20), np.zeros(20, bool), 0.95, 0.9)
    u = 1 - 0.1 ** (1 / 20)
    assert plan.human == 45
    step = next(s for s in plan.steps if s.human == 45)
    assert step.audited_in_rest == 20
    assert step.errors_in_rest == 0
    assert step.lower == pytest.approx(1 - 55 * u / 120)
    assert step.accuracy == 1.0
    assert plan.point_human == 0
    # At 90% the audit alone suffices: 1 - 100 u / 120 = 0.909.
    assert plan_for_target(risk, np.zeros(20), np.zeros(20, bool), 0.9, 0.9).human == 0


def test_audit_too_small_says_how_many_more_would_do() -> None:
    """Same case: the point estimate needs no people; within 5 items of that, (100 - 5) u(m)
    <= 0.05 (100 + m) first holds at m = 32 or 33 audited items, so 12 or 13 more."""
    risk = np.arange(100, 0, -1).astype(float)
    plan = plan_for_target(risk, np.zeros(20), np.zeros(20, bool), 0.95, 0.9)
    assert plan.audit_too_small
    assert plan.more_audits in (12, 13)
    enough = 20 + (plan.more_audits or 0)
    after = plan_for_target(risk, np.zeros(enough), np.zeros(enough, bool), 0.95, 0.9)
    assert after.human <= 5
    assert not after.audit_too_small


def test_audited_items_above_the_cut_do_not_speak_for_the_rest() -> None:
    """One audited item riskier than every unaudited one (and wrong): once one item goes to
    people, it would have gone to people too, so the rest is judged on the other 19."""
    risk = np.arange(1, 101).astype(float)
    audit_risk = np.concatenate([[150.0], np.full(19, 0.5)])
    wrong = np.zeros(20, bool)
    wrong[0] = True
    plan = plan_for_target(risk, audit_risk, wrong, 0.9, 0.9)
    by_k = {s.human: s for s in plan.steps}
    assert (by_k[0].audited_in_rest, by_k[0].errors_in_rest) == (20, 1)
    assert (by_k[1].audited_in_rest, by_k[1].errors_in_rest) == (19, 0)
    assert by_k[0].accuracy == pytest.approx(1 - 100 * (1 / 20) / 120)

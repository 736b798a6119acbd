"""The Bradley-Terry head: learns a preference direction, exports to ONNX, reports spread."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from models.head import PreferenceHead, fit_head, fit_logistic
from models.head_onnx import head_to_onnx
from models.protocol import RuntimeOptions
from models.runtime import make_session

OPTIONS = RuntimeOptions(intra_op_threads=1, providers=["CPUExecutionProvider"])


def synthetic_pairs(
    n: int, dim: int = 24, n_extra: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs labelled by a Bradley-Terry model with a known weight vector."""
    rng = np.random.default_rng(seed)
    true_w = rng.standard_normal(dim + n_extra)
    a = rng.standard_normal((n, dim + n_extra))
    b = rng.standard_normal((n, dim + n_extra))
    a_wins = rng.random(n) < 1 / (1 + np.exp(-(a - b) @ true_w))
    chosen = np.where(a_wins[:, None], a, b)
    rejected = np.where(a_wins[:, None], b, a)
    return chosen[:, :dim], rejected[:, :dim], chosen[:, dim:], rejected[:, dim:], true_w


def test_head_recovers_the_preference_direction() -> None:
    ec, er, fc, fr, true_w = synthetic_pairs(5000)
    head = fit_head(ec[:3000], er[:3000], fc[:3000], fr[:3000], n_heads=4, l2=1e-3, seed=1)
    w = head.weights.mean(axis=0)
    cosine = float(w @ true_w / np.linalg.norm(w) / np.linalg.norm(true_w))
    assert cosine > 0.95
    reward_c, _ = head.rewards(np.hstack([ec[3000:], fc[3000:]]))
    reward_r, _ = head.rewards(np.hstack([er[3000:], fr[3000:]]))
    assert np.mean(reward_c > reward_r) > 0.75  # held-out pairs


def test_bootstrap_ensemble_reports_spread() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(200)
    x = np.hstack([ec, fc])
    _, spread = fit_head(ec, er, fc, fr, n_heads=8, seed=0).rewards(x)
    assert spread.shape == (200,)
    assert np.all(spread > 0)
    _, single = fit_head(ec, er, fc, fr, n_heads=1).rewards(x)
    assert np.all(single == 0)


def test_onnx_head_matches_numpy() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(300)
    head = fit_head(ec, er, fc, fr, n_heads=5, seed=3)
    x = np.vstack([np.hstack([ec, fc]), np.hstack([er, fr])]).astype(np.float32)
    session = make_session(head_to_onnx(head).SerializeToString(), OPTIONS)
    reward, spread, members = session.run(None, {"features": x})
    want_reward, want_spread = head.rewards(x)
    np.testing.assert_allclose(members, head.member_rewards(x), atol=1e-4)
    np.testing.assert_allclose(reward, want_reward, atol=1e-4)
    np.testing.assert_allclose(spread, want_spread, atol=1e-4)


def test_save_load_round_trip_keeps_version(tmp_path: Path) -> None:
    ec, er, fc, fr, _ = synthetic_pairs(100)
    head = fit_head(ec, er, fc, fr, n_heads=3, seed=0)
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = PreferenceHead.load(path)
    assert loaded.version == head.version
    assert loaded.version.startswith("bt3-")
    np.testing.assert_array_equal(loaded.weights, head.weights)
    assert fit_head(ec, er, fc, fr, n_heads=3, seed=1).version != head.version
    # The file is exactly the bytes a project stores; bytes read back alike.
    assert path.read_bytes() == head.to_bytes()
    assert PreferenceHead.from_bytes(head.to_bytes()).version == head.version


def test_bytes_that_are_not_a_head_are_refused() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(50)
    head = fit_head(ec, er, fc, fr, n_heads=1)
    other_format = replace(head, meta={**head.meta, "format": 99}).to_bytes()
    with pytest.raises(ValueError, match="not a preference head"):
        PreferenceHead.from_bytes(other_format)
    with pytest.raises(ValueError, match="pickled"):  # never unpickled, whatever it holds
        PreferenceHead.from_bytes(pickle.dumps({"weights": [1.0]}))


def test_ties_pull_rewards_together() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(400)
    sure = fit_head(ec, er, fc, fr, n_heads=1)
    tied = fit_head(ec, er, fc, fr, n_heads=1, targets=np.full(400, 0.5))
    x_c, x_r = np.hstack([ec, fc]), np.hstack([er, fr])
    gap_sure = np.abs(sure.rewards(x_c)[0] - sure.rewards(x_r)[0]).mean()
    gap_tied = np.abs(tied.rewards(x_c)[0] - tied.rewards(x_r)[0]).mean()
    assert gap_tied < 0.1 * gap_sure


def test_logistic_solver_reaches_the_optimum() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 10))
    y = (rng.random(500) < 0.7).astype(float)
    w = fit_logistic(x, y, l2=0.1)
    p = 1 / (1 + np.exp(-(x @ w)))
    gradient = x.T @ (p - y) / 500 + 0.1 * w
    assert np.abs(gradient).max() < 1e-6


def test_mismatched_inputs_are_rejected() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(10)
    with pytest.raises(ValueError, match="must match"):
        fit_head(ec, er[:5], fc, fr[:5])
    with pytest.raises(ValueError, match="targets"):
        fit_head(ec, er, fc, fr, targets=np.full(10, 2.0))


def length_decided_pairs(n: int, dim: int = 200, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Pairs where the longer response usually wins and the embeddings are pure noise."""
    rng = np.random.default_rng(seed)
    length_a, length_b = rng.normal(5, 1, n), rng.normal(5, 1, n)
    a_wins = rng.random(n) < 1 / (1 + np.exp(-2 * (length_a - length_b)))
    emb_a, emb_b = rng.standard_normal((n, dim)), rng.standard_normal((n, dim))
    len_a = np.column_stack([length_a, length_a + rng.normal(0, 0.1, n)])
    len_b = np.column_stack([length_b, length_b + rng.normal(0, 0.1, n)])
    pick = a_wins[:, None]
    return (
        np.where(pick, emb_a, emb_b), np.where(pick, emb_b, emb_a),
        np.where(pick, len_a, len_b), np.where(pick, len_b, len_a),
    )  # fmt: skip


def test_head_is_never_worse_than_length_when_embeddings_carry_nothing() -> None:
    ec, er, fc, fr = length_decided_pairs(300)
    head = fit_head(ec, er, fc, fr, n_heads=2)
    cv = head.meta["cv"]
    assert isinstance(cv, dict)
    assert cv["folds"] == 5
    assert cv["accuracy"] >= cv["longer_wins"] - 0.02
    assert cv["accuracy"] >= cv["length_only"] - 0.02
    # On fresh pairs from the same process it ranks like the longer-wins rule.
    tc, tr, lc, lr = length_decided_pairs(2000, seed=1)
    reward_c, _ = head.rewards(np.hstack([tc, lc]))
    reward_r, _ = head.rewards(np.hstack([tr, lr]))
    rule = np.mean(lc[:, 0] > lr[:, 0])
    assert np.mean(reward_c > reward_r) >= rule - 0.02


def test_cross_validation_keeps_the_embeddings_when_they_carry_the_signal() -> None:
    ec, er, fc, fr, _ = synthetic_pairs(400)
    head = fit_head(ec, er, fc, fr, n_heads=1)
    cv = head.meta["cv"]
    assert isinstance(cv, dict)
    assert head.meta["model"] == "embeddings+length"
    assert cv["accuracy"] > cv["length_only"] + 0.05
    only = fit_head(ec, er, fc, fr, n_heads=1, length_only=True)
    assert only.meta["model"] == "length-only"
    np.testing.assert_array_equal(only.weights[0, : ec.shape[1]], 0.0)


def test_fewer_pairs_than_columns_reach_the_same_optimum() -> None:
    """The pair-space (Woodbury) Newton step solves the same problem as the column-space one."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 150))
    y = (rng.random(60) < 0.7).astype(float)
    penalty = np.where(np.arange(150) < 140, 0.3, 1e-3)
    w = fit_logistic(x, y, penalty)
    p = 1 / (1 + np.exp(-(x @ w)))
    assert np.abs(x.T @ (p - y) / 60 + penalty * w).max() < 1e-6


def test_fitting_counts_every_fit_and_a_retrain_tries_fewer_settings() -> None:
    from models.head import L2_GRID, fit_head_steps, fit_steps

    ec, er, fc, fr, _ = synthetic_pairs(300)
    job = fit_head_steps(ec, er, fc, fr, n_heads=4, seed=0)
    steps = []
    try:
        while True:
            steps.append(next(job))
    except StopIteration as stop:
        head = stop.value
    total = 5 * (1 + len(L2_GRID)) + 1 + 4  # folds x settings, the full head, the members
    assert fit_steps(300, 27, 3, n_heads=4) == total
    assert {t for _, t in steps} == {total}
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    assert steps[-1] == (total, total)
    chosen = head.meta["l2"]
    assert chosen in L2_GRID
    # Told last time's choice, cross-validation tries length alone, it and its neighbours.
    near = list(fit_head_steps(ec, er, fc, fr, n_heads=4, seed=0, near=chosen))
    assert near[-1][1] == fit_steps(300, 27, 3, n_heads=4, near=chosen) <= 5 * 4 + 1 + 4
    again = fit_head(ec, er, fc, fr, n_heads=4, seed=0, near=chosen)
    assert again.meta["l2"] == chosen
    np.testing.assert_array_equal(again.weights, head.weights)

"""The default reward model end to end: encoder + trained head, scored in onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import DefaultRewardModel, RewardModel, ScoreRequest
from models.default_model import load_default_encoder, train_default_model
from models.features import pair_features
from models.paths import DATA_DIR_ENV
from models.protocol import RuntimeOptions

OPTIONS = RuntimeOptions(intra_op_threads=1, providers=["CPUExecutionProvider"])
TOPICS = ["the moon", "bread", "volcanoes", "chess", "rain", "bees", "glass", "trains"]


def labelled_pairs() -> tuple[list[str], list[str], list[str]]:
    """Pairs where the helpful, detailed answer is preferred over a curt refusal."""
    prompts, chosen, rejected = [], [], []
    for topic in TOPICS:
        for question in ("Tell me about {}.", "What should I know about {}?", "Explain {}."):
            prompts.append(question.format(topic))
            chosen.append(f"Here is an overview of {topic}: its history, how it works and facts.")
            rejected.append("No.")
    return prompts, chosen, rejected


@pytest.fixture
def encoder(default_encoder_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(DATA_DIR_ENV, str(default_encoder_dir))
    return load_default_encoder(OPTIONS)


def test_trained_model_scores_requests_with_uncertainty(encoder) -> None:  # type: ignore[no-untyped-def]
    prompts, chosen, rejected = labelled_pairs()
    model = train_default_model(encoder, prompts, chosen, rejected, n_heads=4, options=OPTIONS)
    assert isinstance(model, RewardModel)
    assert model.version == f"{encoder.version}+{model.head.version}"
    requests = [
        ScoreRequest(
            "Tell me about owls.", ["No.", "Here is an overview of owls: their history and facts."]
        ),
        ScoreRequest(
            [{"role": "user", "content": "Explain tides."}], ["Tides follow the moon.", "No."]
        ),
        ScoreRequest("Nothing to score.", []),
    ]
    results = model.score_batch(requests)
    assert [len(r.rewards) for r in results] == [2, 2, 0]
    assert results[0].rewards[1] > results[0].rewards[0]
    assert results[1].rewards[0] > results[1].rewards[1]
    for result in results[:2]:
        assert result.uncertainty is not None
        assert np.all(result.uncertainty > 0)
        assert result.member_rewards is not None
        assert result.member_rewards.shape == (4, 2)
        np.testing.assert_allclose(result.member_rewards.mean(axis=0), result.rewards, atol=1e-5)


def test_onnx_scores_equal_numpy_head_scores(encoder) -> None:  # type: ignore[no-untyped-def]
    prompts, chosen, rejected = labelled_pairs()
    model = train_default_model(encoder, prompts, chosen, rejected, n_heads=3, options=OPTIONS)
    (result,) = model.score_batch([ScoreRequest(prompts[0], [chosen[0], rejected[0]])])
    emb, lengths = pair_features(encoder, [prompts[0]] * 2, [chosen[0], rejected[0]])
    reward, spread = model.head.rewards(np.hstack([emb, lengths]))
    np.testing.assert_allclose(result.rewards, reward, atol=1e-4)
    assert result.uncertainty is not None
    np.testing.assert_allclose(result.uncertainty, spread, atol=1e-4)


def test_head_for_another_feature_size_is_refused(encoder) -> None:  # type: ignore[no-untyped-def]
    from models.head import PreferenceHead

    head = PreferenceHead(weights=np.zeros((2, 10), np.float32), bias=np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="features"):
        DefaultRewardModel(encoder, head, OPTIONS)


def test_saved_head_reloads_into_the_same_model(encoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from models.head import PreferenceHead

    prompts, chosen, rejected = labelled_pairs()
    model = train_default_model(encoder, prompts, chosen, rejected, n_heads=2, options=OPTIONS)
    assert model.head.meta["encoder"] == encoder.version
    model.head.save(tmp_path / "head.npz")
    reloaded = DefaultRewardModel(encoder, PreferenceHead.load(tmp_path / "head.npz"), OPTIONS)
    assert reloaded.version == model.version
    request = [ScoreRequest(prompts[0], [chosen[0], rejected[0]])]
    np.testing.assert_array_equal(
        reloaded.score_batch(request)[0].rewards, model.score_batch(request)[0].rewards
    )
    other_layout = PreferenceHead(model.head.weights, model.head.bias, {"features": "old"})
    with pytest.raises(ValueError, match="trained on features 'old'"):
        DefaultRewardModel(encoder, other_layout, OPTIONS)

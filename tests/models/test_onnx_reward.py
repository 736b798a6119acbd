"""Generic ONNX reward models: scores agree with a numpy reference; bad folders are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from tiny_bert import TinyFolder, make_tokenizer, reference_logit

from models import ModelContractError, RewardModel, ScoreRequest
from models.onnx_reward import OnnxRewardModel
from models.pair_encoding import PairEncoder, split_budget
from models.text import render_plain

REQUESTS = [
    ScoreRequest(
        "what is the capital of france ?", ["paris", "the capital is paris , a city", "no"]
    ),
    ScoreRequest("hello", ["hi", "hello , how can i help ? " * 3]),
    ScoreRequest(
        [
            {"role": "system", "content": "be good"},
            {"role": "user", "content": "write a short poem about the sea"},
        ],
        ["the sea is blue", "sorry , i cannot", "blue sea , blue sea"],
    ),
    ScoreRequest("why ?", []),
]


def expected_rewards(model: OnnxRewardModel, weights: dict[str, np.ndarray]) -> list[list[float]]:
    """Reference scores: each pair alone, unpadded, through the numpy forward pass."""
    template = model.config.template
    out = []
    for request in REQUESTS:
        prompt = (
            template.render_prompt(request.prompt) if template else render_plain(request.prompt)
        )
        scores = []
        for response in request.responses:
            text = template.render_response(response) if template else response
            (enc,) = model.pair_encoder.encode([prompt], [text])
            scores.append(reference_logit(weights, enc.ids, enc.type_ids))
        out.append(scores)
    return out


def test_scores_match_numpy_reference_across_padded_batches(
    tiny_reward_folder: TinyFolder,
) -> None:
    folder, weights = tiny_reward_folder()
    model = OnnxRewardModel.from_folder(folder)
    model.max_batch = 2  # several batches of different widths
    results = model.score_batch(REQUESTS)
    assert isinstance(model, RewardModel)
    assert [len(r.rewards) for r in results] == [3, 2, 3, 0]
    for result, want in zip(results, expected_rewards(model, weights), strict=True):
        assert result.rewards.dtype == np.float32
        assert result.uncertainty is None
        np.testing.assert_allclose(result.rewards, want, atol=1e-4)


def test_int32_inputs_and_single_segment_models_are_supported(
    tiny_reward_folder: TinyFolder,
) -> None:
    # type_vocab_size 1: feeding segment id 1 would index outside the table, so ids are zeroed.
    folder, weights = tiny_reward_folder(type_vocab=1, id_type=TensorProto.INT32)
    model = OnnxRewardModel.from_folder(folder)
    assert not model.config.use_type_ids
    results = model.score_batch(REQUESTS)
    for result, want in zip(results, expected_rewards(model, weights), strict=True):
        np.testing.assert_allclose(result.rewards, want, atol=1e-4)


def test_chat_template_from_config_joins_one_sequence(tiny_reward_folder: TinyFolder) -> None:
    template = {
        "roles": {"user": "user : {content} . ", "system": "system : {content} . "},
        "response": "assistant : {content}",
    }
    folder, weights = tiny_reward_folder(config={"prefmark": {"chat_template": template}})
    model = OnnxRewardModel.from_folder(folder)
    assert model.config.template is not None
    assert not model.pair_encoder.as_pair
    text = model.config.template.render_prompt(REQUESTS[2].prompt)
    assert text == "system : be good . user : write a short poem about the sea . "
    results = model.score_batch(REQUESTS)
    for result, want in zip(results, expected_rewards(model, weights), strict=True):
        np.testing.assert_allclose(result.rewards, want, atol=1e-4)


def test_truncation_keeps_prompt_end_and_response_start(tiny_reward_folder: TinyFolder) -> None:
    folder, weights = tiny_reward_folder(config={"prefmark": {"max_length": 16}})
    model = OnnxRewardModel.from_folder(folder)
    prompt = "cat " * 20 + "what is the capital of france ?"
    response = "paris is the capital " + "dog " * 20
    (enc,) = model.pair_encoder.encode([prompt], [response])
    tokens = [model.pair_encoder.tokenizer.id_to_token(i) for i in enc.ids]
    assert len(tokens) == 16
    assert enc.truncated
    # 13 text tokens: the prompt keeps its last 6, the response its first 7.
    prompt_part = ["is", "the", "capital", "of", "france", "?"]
    response_part = ["paris", "is", "the", "capital", "dog", "dog", "dog"]
    assert tokens == ["[CLS]", *prompt_part, "[SEP]", *response_part, "[SEP]"]
    score = model.score_batch([ScoreRequest(prompt, [response])])[0].rewards[0]
    assert score == pytest.approx(reference_logit(weights, enc.ids, enc.type_ids), abs=1e-4)


@pytest.mark.parametrize(
    ("n_prompt", "n_response", "budget", "want"),
    [
        (3, 4, 10, (3, 4)),
        (30, 2, 10, (8, 2)),
        (2, 30, 10, (2, 8)),
        (30, 30, 10, (5, 5)),
        (1, 1, 0, (0, 0)),
    ],
)
def test_split_budget_gives_each_side_its_share(
    n_prompt: int, n_response: int, budget: int, want: tuple[int, int]
) -> None:
    assert split_budget(n_prompt, n_response, budget) == want


def test_pair_encoder_tokenizes_each_prompt_once_and_rejects_non_text() -> None:
    encoder = PairEncoder(make_tokenizer(), 32)
    pairs = encoder.encode(["hello"] * 3, ["hi", "yes", "no"])
    assert [p.ids[1] for p in pairs] == [pairs[0].ids[1]] * 3
    with pytest.raises(TypeError, match="response 1 is bool"):
        encoder.encode(["a", "b"], ["fine", True])  # type: ignore[list-item]


# --- contract checks -------------------------------------------------------------------------


def _write_graph(folder: Path, inputs: list[tuple[str, int]], output_shape: list[object]) -> None:
    """A stand-in model.onnx with the given inputs and output shape (for contract tests)."""
    in_infos = [helper.make_tensor_value_info(n, t, ["batch", "sequence"]) for n, t in inputs]
    first = inputs[0][0]
    nodes = [helper.make_node("Cast", [first], ["f"], to=TensorProto.FLOAT)]
    rank = len(output_shape)
    if rank == 3:
        nodes.append(helper.make_node("Unsqueeze", ["f", "ax"], ["logits"]))
    elif output_shape[-1] == "sequence":  # width known only at run time
        nodes.append(helper.make_node("Identity", ["f"], ["logits"]))
    else:
        nodes.append(helper.make_node("ReduceSum", ["f", "ax1"], ["s"], keepdims=1))
        nodes.append(helper.make_node("Expand", ["s", "shape"], ["logits"]))
    inits = [
        onnx.numpy_helper.from_array(np.array([2], np.int64), "ax"),
        onnx.numpy_helper.from_array(np.array([1], np.int64), "ax1"),
        onnx.numpy_helper.from_array(np.array([1, 3], np.int64), "shape"),
    ]
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, output_shape)
    graph = helper.make_graph(nodes, "bad", in_infos, [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))


@pytest.mark.parametrize(
    ("inputs", "output_shape", "message"),
    [
        ([("pixel_values", TensorProto.INT64)], ["batch", 1], "unsupported input 'pixel_values'"),
        ([("attention_mask", TensorProto.INT64)], ["batch", 1], "no 'input_ids' input"),
        ([("input_ids", TensorProto.FLOAT)], ["batch", 1], "not int64/int32"),
        ([("input_ids", TensorProto.INT64)], ["batch", 3], r"shape \['batch', 3\]"),
        ([("input_ids", TensorProto.INT64)], ["batch", "sequence", 1], "base encoder"),
    ],
)
def test_wrong_model_contract_is_refused_with_a_clear_message(
    tiny_reward_folder: TinyFolder,
    inputs: list[tuple[str, int]],
    output_shape: list[object],
    message: str,
) -> None:
    folder, _ = tiny_reward_folder()
    _write_graph(folder, inputs, output_shape)
    with pytest.raises(ModelContractError, match=message):
        OnnxRewardModel.from_folder(folder)


def test_output_with_several_logits_at_run_time_is_refused(tiny_reward_folder: TinyFolder) -> None:
    folder, _ = tiny_reward_folder()
    _write_graph(folder, [("input_ids", TensorProto.INT64)], ["batch", "sequence"])
    model = OnnxRewardModel.from_folder(folder)
    with pytest.raises(ModelContractError, match="one logit per sequence"):
        model.score_batch([ScoreRequest("hello", ["hi"])])


def test_missing_and_corrupt_files_are_refused(
    tiny_reward_folder: TinyFolder, tmp_path: Path
) -> None:
    with pytest.raises(ModelContractError, match="not a folder"):
        OnnxRewardModel.from_folder(tmp_path / "nowhere")
    folder, _ = tiny_reward_folder()
    (folder / "model.onnx").write_bytes(b"this is not a protobuf")
    with pytest.raises(ModelContractError, match="cannot load it as a model"):
        OnnxRewardModel.from_folder(folder)
    (folder / "model.onnx").unlink()
    with pytest.raises(ModelContractError, match=r"model\.onnx not found"):
        OnnxRewardModel.from_folder(folder)


def test_bad_tokenizer_and_config_are_refused(tiny_reward_folder: TinyFolder) -> None:
    folder, _ = tiny_reward_folder()
    config = (folder / "config.json").read_text()
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelContractError, match=r"config\.json: not readable JSON"):
        OnnxRewardModel.from_folder(folder)
    (folder / "config.json").write_text(
        json.dumps({"prefmark": {"chat_template": {"response": "x"}}})
    )
    with pytest.raises(ModelContractError, match="content"):
        OnnxRewardModel.from_folder(folder)
    (folder / "config.json").write_text(config)
    (folder / "tokenizer.json").write_text("[]")
    with pytest.raises(
        ModelContractError, match=r"tokenizer\.json: not a readable tokenizers file"
    ):
        OnnxRewardModel.from_folder(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelContractError, match=r"tokenizer\.json: file not found"):
        OnnxRewardModel.from_folder(folder)


def test_version_follows_the_model_file(tiny_reward_folder: TinyFolder, tmp_path: Path) -> None:
    folder, _ = tiny_reward_folder()
    same = tmp_path / "tiny-rm"
    first = OnnxRewardModel.from_folder(folder).version
    assert first.startswith("tiny-rm-")
    assert first == OnnxRewardModel.from_folder(same).version
    other, _ = tiny_reward_folder("other", seed=1)
    shutil.copy(other / "model.onnx", folder / "model.onnx")
    assert OnnxRewardModel.from_folder(folder).version != first

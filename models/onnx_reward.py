"""Any ONNX sequence-classification reward model from a folder, as ``optimum`` exports them.

The folder holds ``model.onnx`` and ``tokenizer.json``, optionally ``config.json`` and
``tokenizer_config.json``. The model must map token ids to one logit per sequence (the reward).
Everything is checked when the folder is opened, so a wrong file is refused with a message
rather than failing in the middle of a scoring run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from models.batching import length_batches, pad_batch
from models.errors import ModelContractError
from models.hashing import file_sha256
from models.pair_encoding import PairEncoder, load_tokenizer
from models.protocol import RuntimeOptions, ScoreRequest, ScoreResult
from models.runtime import make_session
from models.text import ChatTemplate, render_plain

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"

KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")
INT_TYPES: dict[str, type[np.integer]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
FLOAT_OUTPUTS = ("tensor(float)", "tensor(float16)", "tensor(double)")
# RoBERTa-style position tables reserve two rows before the first real position.
OFFSET_POSITION_MODELS = ("roberta", "xlm-roberta", "camembert", "longformer", "bart")
DEFAULT_MAX_LENGTH = 512


@dataclass(frozen=True)
class FolderConfig:
    """What the optional JSON files say about length, padding, segments and chat format."""

    max_length: int
    pad_id: int
    use_type_ids: bool
    template: ChatTemplate | None
    raw: Mapping[str, object]


def read_folder_config(folder: Path, pad_fallback: int) -> FolderConfig:
    """Read ``config.json``/``tokenizer_config.json``; absent files mean defaults."""
    config = _read_json(folder / CONFIG_FILE)
    tok_config = _read_json(folder / TOKENIZER_CONFIG_FILE)
    ours = config.get("prefmark", {})
    if not isinstance(ours, Mapping):
        raise ModelContractError(f"{folder / CONFIG_FILE}: 'prefmark' must be an object")
    max_length = _first_int(
        ours.get("max_length"),
        _plausible(tok_config.get("model_max_length")),
        _positions(config),
        DEFAULT_MAX_LENGTH,
    )
    template_raw = ours.get("chat_template")
    template = (
        ChatTemplate.from_config(template_raw, source=str(folder / CONFIG_FILE))
        if template_raw is not None
        else None
    )
    # One segment type (DeBERTa-v3, RoBERTa) means the model expects all-zero token_type_ids.
    type_vocab = config.get("type_vocab_size", 2)
    return FolderConfig(
        max_length=max_length,
        pad_id=_first_int(config.get("pad_token_id"), pad_fallback),
        use_type_ids=isinstance(type_vocab, int) and type_vocab > 1,
        template=template,
        raw=config,
    )


class OnnxRewardModel:
    """Implements ``RewardModel`` for a sequence-classification ONNX model (no uncertainty)."""

    def __init__(
        self,
        session: ort.InferenceSession,
        pair_encoder: PairEncoder,
        config: FolderConfig,
        *,
        version: str,
        source: str = "<model>",
        max_batch: int = 16,
        max_tokens: int = 8192,
    ) -> None:
        self.session = session
        self.pair_encoder = pair_encoder
        self.config = config
        self.max_batch = max_batch
        self.max_tokens = max_tokens
        self.source = source
        self._version = version
        self._input_types, self._output_name = check_contract(session, source)

    @classmethod
    def from_folder(
        cls,
        folder: Path,
        options: RuntimeOptions | None = None,
        *,
        max_length: int | None = None,
    ) -> OnnxRewardModel:
        """Open and validate a model folder; every problem is a ModelContractError."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ModelContractError(f"{folder}: not a folder")
        model_path = folder / MODEL_FILE
        if not model_path.is_file():
            raise ModelContractError(f"{folder}: {MODEL_FILE} not found")
        tokenizer = load_tokenizer(folder / TOKENIZER_FILE)
        pad_fallback = next(
            (i for t in ("<pad>", "[PAD]") if (i := tokenizer.token_to_id(t)) is not None), 0
        )
        config = read_folder_config(folder, pad_fallback)
        vocab = tokenizer.get_vocab_size()
        if not 0 <= config.pad_id < vocab:
            raise ModelContractError(
                f"{folder / CONFIG_FILE}: pad_token_id {config.pad_id} is not a token id "
                f"of the tokenizer (0 to {vocab - 1})"
            )
        if max_length is not None:
            config = FolderConfig(
                max_length, config.pad_id, config.use_type_ids, config.template, config.raw
            )
        pair_encoder = PairEncoder(tokenizer, config.max_length, as_pair=config.template is None)
        session = make_session(model_path, options)
        digest = hashlib.sha256()
        for name in (MODEL_FILE, TOKENIZER_FILE, CONFIG_FILE):
            if (folder / name).is_file():
                digest.update(f"{name}:{file_sha256(folder / name)}\n".encode())
        digest.update(f"max_length:{config.max_length}".encode())
        version = f"{folder.name}-{digest.hexdigest()[:12]}"
        return cls(session, pair_encoder, config, version=version, source=str(model_path))

    @property
    def version(self) -> str:
        """``<folder name>-<sha12>`` over the model, tokenizer, config and max length."""
        return self._version

    def score_batch(self, requests: Sequence[ScoreRequest]) -> list[ScoreResult]:
        """One reward per response; all requests share length-bucketed batches."""
        prompts: list[str] = []
        responses: list[str] = []
        template = self.config.template
        for request in requests:
            text = (
                template.render_prompt(request.prompt)
                if template
                else render_plain(request.prompt)
            )
            prompts.extend([text] * len(request.responses))
            responses.extend(
                template.render_response(r) if template else r for r in request.responses
            )
        rewards = self.score_pairs(prompts, responses)
        results = []
        start = 0
        for request in requests:
            end = start + len(request.responses)
            results.append(ScoreResult(rewards=rewards[start:end]))
            start = end
        return results

    def score_pairs(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        """Rewards [n] float32 for already-rendered prompt and response texts."""
        encoded = self.pair_encoder.encode(prompts, responses)
        ids = [e.ids for e in encoded]
        types = [e.type_ids for e in encoded]
        out = np.empty(len(encoded), dtype=np.float32)
        lengths = [len(x) for x in ids]
        for index in length_batches(lengths, max_batch=self.max_batch, max_tokens=self.max_tokens):
            batch = pad_batch(index, ids, types, pad_id=self.config.pad_id)
            out[index] = self._run(batch.input_ids, batch.type_ids, batch.attention_mask)
        return out

    def _run(self, input_ids: np.ndarray, type_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if not self.config.use_type_ids:
            type_ids = np.zeros_like(type_ids)
        positions = np.broadcast_to(np.arange(input_ids.shape[1]), input_ids.shape)
        available = {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": type_ids,
            "position_ids": positions,
        }
        feeds = {
            name: np.ascontiguousarray(available[name], dtype=dtype)
            for name, dtype in self._input_types.items()
        }
        try:
            (logits,) = self.session.run([self._output_name], feeds)
        except Exception as exc:  # onnxruntime's errors share no base class but Exception
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelContractError(
                f"{self.source}: the model failed while scoring: {first}"
            ) from exc
        logits = np.asarray(logits)
        if logits.ndim == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        if logits.shape != (input_ids.shape[0],):
            raise ModelContractError(
                f"{self.source}: output {self._output_name!r} has shape {logits.shape} for a "
                f"batch of {input_ids.shape[0]}; a reward model gives one logit per sequence"
            )
        return logits.astype(np.float32)


def check_contract(
    session: ort.InferenceSession, source: str
) -> tuple[dict[str, type[np.integer]], str]:
    """Input dtypes to feed and the output to read, or a ModelContractError saying why not."""
    input_types: dict[str, type[np.integer]] = {}
    for arg in session.get_inputs():
        if arg.name not in KNOWN_INPUTS:
            raise ModelContractError(
                f"{source}: unsupported input {arg.name!r}; expected some of {KNOWN_INPUTS}"
            )
        if arg.type not in INT_TYPES:
            raise ModelContractError(
                f"{source}: input {arg.name!r} is {arg.type}, not int64/int32"
            )
        if len(arg.shape) != 2:
            raise ModelContractError(
                f"{source}: input {arg.name!r} has rank {len(arg.shape)}, not [batch, sequence]"
            )
        input_types[arg.name] = INT_TYPES[arg.type]
    if "input_ids" not in input_types:
        raise ModelContractError(f"{source}: the model has no 'input_ids' input")
    outputs = {o.name: o for o in session.get_outputs()}
    output = outputs.get("logits") or session.get_outputs()[0]
    if output.type not in FLOAT_OUTPUTS:
        raise ModelContractError(f"{source}: output {output.name!r} is {output.type}, not float")
    shape = list(output.shape)
    if len(shape) == 3:
        raise ModelContractError(
            f"{source}: output {output.name!r} has shape {shape}: this looks like a base encoder "
            "(token states), not a sequence-classification reward model"
        )
    if len(shape) not in (1, 2) or (
        len(shape) == 2 and isinstance(shape[1], int) and shape[1] != 1
    ):
        raise ModelContractError(
            f"{source}: output {output.name!r} has shape {shape}; a reward model gives "
            "[batch, 1] or [batch] (one logit per sequence)"
        )
    return input_types, output.name


def _read_json(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelContractError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelContractError(f"{path}: expected a JSON object")
    return data


def _plausible(value: object) -> int | None:
    """tokenizer_config's model_max_length is a huge sentinel when unset."""
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def _positions(config: Mapping[str, object]) -> int | None:
    value = config.get("max_position_embeddings")
    if not isinstance(value, int) or value <= 0:
        return None
    return value - 2 if config.get("model_type") in OFFSET_POSITION_MODELS else value


def _first_int(*values: object) -> int:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    raise ValueError("no integer given")

"""A tiny BERT sequence-classification reward model built with onnx.helper, and its numpy twin.

The model uses only standard ONNX ops, the way an ``optimum`` export looks. The numpy forward pass
scores one unpadded sequence at a time: agreement with it shows that batching, padding, masking
and truncation in the runtime do not change a score.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

WORDS = [
    "the",
    "a",
    "is",
    "of",
    "to",
    "and",
    "what",
    "why",
    "how",
    "who",
    "capital",
    "france",
    "paris",
    "city",
    "river",
    "sea",
    "blue",
    "cat",
    "dog",
    "cats",
    "dogs",
    "good",
    "bad",
    "answer",
    "question",
    "please",
    "help",
    "write",
    "poem",
    "short",
    "long",
    "sorry",
    "cannot",
    "hello",
    "hi",
    "thanks",
    "yes",
    "no",
    "user",
    "assistant",
    "system",
    ":",
    "?",
    ".",
    ",",
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
HIDDEN, HEADS, LAYERS, INTER, MAX_POS = 16, 2, 2, 32, 64


def make_tokenizer() -> Tokenizer:
    """A WordLevel tokenizer with BERT's [CLS] A [SEP] B [SEP] template."""
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return tokenizer


def make_weights(seed: int, vocab: int, type_vocab: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def rand(*shape: int, scale: float = 0.3) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = {
        "word": rand(vocab, HIDDEN),
        "pos": rand(MAX_POS, HIDDEN),
        "type": rand(type_vocab, HIDDEN),
        "emb_g": 1 + rand(HIDDEN, scale=0.1),
        "emb_b": rand(HIDDEN, scale=0.1),
        "pool_w": rand(HIDDEN, HIDDEN),
        "pool_b": rand(HIDDEN),
        "cls_w": rand(HIDDEN, 1),
        "cls_b": rand(1),
    }
    for i in range(LAYERS):
        for name, shape in {
            "q": (HIDDEN, HIDDEN),
            "k": (HIDDEN, HIDDEN),
            "v": (HIDDEN, HIDDEN),
            "o": (HIDDEN, HIDDEN),
            "f1": (HIDDEN, INTER),
            "f2": (INTER, HIDDEN),
        }.items():
            w[f"l{i}_{name}_w"] = rand(*shape)
            w[f"l{i}_{name}_b"] = rand(shape[1], scale=0.1)
        for ln in ("ln1", "ln2"):
            w[f"l{i}_{ln}_g"] = 1 + rand(HIDDEN, scale=0.1)
            w[f"l{i}_{ln}_b"] = rand(HIDDEN, scale=0.1)
    return w


def build_tiny_bert(
    w: dict[str, np.ndarray],
    *,
    id_type: int = TensorProto.INT64,
    with_type_ids: bool = True,
) -> onnx.ModelProto:
    """BERT for sequence classification with standard ops: [CLS] pooler -> one logit."""
    nodes: list[onnx.NodeProto] = []
    inits = [numpy_helper.from_array(v, k) for k, v in w.items()]

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **attrs))  # type: ignore[arg-type]
        return out

    ids = node("Cast", ["input_ids"], "ids64", to=TensorProto.INT64)
    x = node("Gather", ["word", ids], "word_emb")
    shape = node("Shape", [ids], "ids_shape")
    seq = node("Gather", [shape, const("one", np.array(1, np.int64))], "seq_len")
    positions = node("Range", [const("zero", np.array(0, np.int64)), seq, "one"], "positions")
    x = node("Add", [x, node("Gather", ["pos", positions], "pos_emb")], "emb1")
    if with_type_ids:
        types = node("Cast", ["token_type_ids"], "types64", to=TensorProto.INT64)
        x = node("Add", [x, node("Gather", ["type", types], "type_emb")], "emb2")
    else:
        x = node("Add", [x, const("type0", w["type"][0])], "emb2")
    x = node("LayerNormalization", [x, "emb_g", "emb_b"], "emb_ln", epsilon=1e-12, axis=-1)
    maskf = node("Cast", ["attention_mask"], "maskf", to=TensorProto.FLOAT)
    inv = node("Sub", [const("onef", np.array(1.0, np.float32)), maskf], "inv_mask")
    add_mask = node("Mul", [inv, const("neg", np.array(-1e4, np.float32))], "add_mask2")
    add_mask = node("Unsqueeze", [add_mask, const("ax12", np.array([1, 2], np.int64))], "add_mask")
    split_shape = const("split_shape", np.array([0, 0, HEADS, HIDDEN // HEADS], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, HIDDEN], np.int64))
    scale = const("scale", np.array(1 / math.sqrt(HIDDEN // HEADS), np.float32))
    for i in range(LAYERS):
        p = f"l{i}_"

        def lin(h: str, name: str, p: str = p) -> str:
            mm = node("MatMul", [h, p + name + "_w"], p + name + "_mm")
            return node("Add", [mm, p + name + "_b"], p + name + "_out")

        def heads(h: str, perm: list[int]) -> str:
            r = node("Reshape", [h, split_shape], h + "_split")
            return node("Transpose", [r], h + "_heads", perm=perm)

        q = heads(lin(x, "q"), [0, 2, 1, 3])
        k = heads(lin(x, "k"), [0, 2, 3, 1])
        v = heads(lin(x, "v"), [0, 2, 1, 3])
        s = node("Mul", [node("MatMul", [q, k], p + "qk"), scale], p + "scores0")
        probs = node("Softmax", [node("Add", [s, add_mask], p + "scores")], p + "probs", axis=-1)
        ctx = node(
            "Transpose", [node("MatMul", [probs, v], p + "ctx0")], p + "ctx1", perm=[0, 2, 1, 3]
        )
        ctx = node("Reshape", [ctx, merge_shape], p + "ctx")
        h = node("Add", [lin(ctx, "o"), x], p + "res1")
        x = node("LayerNormalization", [h, p + "ln1_g", p + "ln1_b"], p + "ln1", epsilon=1e-12)
        f = lin(x, "f1")
        erf = node(
            "Erf",
            [
                node(
                    "Mul", [f, const(p + "isq2", np.array(1 / math.sqrt(2), np.float32))], p + "fs"
                )
            ],
            p + "erf",
        )
        g = node(
            "Mul",
            [
                node("Mul", [f, const(p + "half", np.array(0.5, np.float32))], p + "fh"),
                node("Add", [erf, "onef"], p + "e1"),
            ],
            p + "gelu",
        )
        h = node("Add", [lin(g, "f2"), x], p + "res2")
        x = node("LayerNormalization", [h, p + "ln2_g", p + "ln2_b"], p + "ln2", epsilon=1e-12)
    cls = node("Gather", [x, const("zero_idx", np.array(0, np.int64))], "cls", axis=1)
    pooled = node(
        "Tanh",
        [node("Add", [node("MatMul", [cls, "pool_w"], "pool_mm"), "pool_b"], "pool_lin")],
        "pooled",
    )
    node("Add", [node("MatMul", [pooled, "cls_w"], "cls_mm"), "cls_b"], "logits")
    inputs = [helper.make_tensor_value_info("input_ids", id_type, ["batch", "sequence"])]
    inputs.append(helper.make_tensor_value_info("attention_mask", id_type, ["batch", "sequence"]))
    if with_type_ids:
        inputs.append(
            helper.make_tensor_value_info("token_type_ids", id_type, ["batch", "sequence"])
        )
    graph = helper.make_graph(
        nodes,
        "tiny_bert",
        inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def reference_logit(w: dict[str, np.ndarray], ids: list[int], type_ids: list[int]) -> float:
    """Numpy forward pass of the tiny model on one unpadded sequence."""
    erf = np.vectorize(math.erf)
    n = len(ids)
    types = np.asarray(type_ids) if w["type"].shape[0] > 1 else np.zeros(n, dtype=int)
    x = w["word"][ids] + w["pos"][:n] + w["type"][types]

    def ln(h: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        mu = h.mean(-1, keepdims=True)
        return (h - mu) / np.sqrt(((h - mu) ** 2).mean(-1, keepdims=True) + 1e-12) * g + b

    x = ln(x, w["emb_g"], w["emb_b"])
    dh = HIDDEN // HEADS
    for i in range(LAYERS):
        p = f"l{i}_"

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w[p + name + "_w"] + w[p + name + "_b"]

        q, k, v = (lin(x, t).reshape(n, HEADS, dh).transpose(1, 0, 2) for t in "qkv")
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        e = np.exp(s - s.max(-1, keepdims=True))
        ctx = ((e / e.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
        x = ln(lin(ctx, "o") + x, w[p + "ln1_g"], w[p + "ln1_b"])
        f = lin(x, "f1")
        x = ln(
            lin(0.5 * f * (1 + erf(f / math.sqrt(2))), "f2") + x, w[p + "ln2_g"], w[p + "ln2_b"]
        )
    pooled = np.tanh(x[0] @ w["pool_w"] + w["pool_b"])
    return float((pooled @ w["cls_w"] + w["cls_b"])[0])


TinyFolder = Callable[..., tuple[Path, dict[str, np.ndarray]]]

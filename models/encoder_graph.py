"""The BERT encoder as an ONNX graph, written with ``onnx.helper`` straight from the weights.

The graph uses the fused operators onnxruntime's CPU provider accelerates: one
``EmbedLayerNormalization`` (gather + add + LayerNorm, and the padding lengths), per layer one
``Attention`` (packed QKV projection, softmax and context in one kernel, told the real lengths so
it skips padding), ``SkipLayerNormalization`` for the two residual + LayerNorm steps and
``BiasGelu`` for the feed-forward activation. onnxruntime's transformer optimizer does not fuse
this encoder's attention, which is why the graph is written fused from the start.

Inputs are int32 ``input_ids``, ``token_type_ids`` and ``attention_mask`` [batch, seq],
right-padded (the contrib ops require int32 and right padding). The output ``embedding``
[batch, hidden] is the mean of the token states over the mask, L2-normalised, as
sentence-transformers computes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.bert_weights import BertConfig

# Bump when the graph changes, so cached graphs built by older code are not reused.
BUILDER_VERSION = "1"
OPSET = 17
MS_DOMAIN = "com.microsoft"


class _GraphBuilder:
    """Collects nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(
        self,
        op: str,
        inputs: list[str],
        outputs: list[str],
        *,
        domain: str = "",
        **attrs: Any,
    ) -> list[str]:
        self.nodes.append(
            helper.make_node(
                op, inputs, outputs, name=outputs[0] + "_node", domain=domain, **attrs
            )
        )
        return outputs


def build_encoder_graph(
    weights: dict[str, np.ndarray],
    config: BertConfig = BertConfig(),  # noqa: B008
    *,
    doc: str = "",
) -> onnx.ModelProto:
    """The encoder + mean pooling + L2 normalisation as an ONNX model (fp32 weights)."""
    g = _GraphBuilder()
    f32 = np.float32
    eps = config.layer_norm_eps

    def w(name: str) -> np.ndarray:
        return weights[name].astype(f32)

    hidden, _mask_index, _ = g.node(
        "EmbedLayerNormalization",
        [
            "input_ids",
            "token_type_ids",
            g.const("word_embeddings", w("embeddings.word_embeddings.weight")),
            g.const("position_embeddings", w("embeddings.position_embeddings.weight")),
            g.const("token_type_embeddings", w("embeddings.token_type_embeddings.weight")),
            g.const("embeddings_ln_gamma", w("embeddings.LayerNorm.weight")),
            g.const("embeddings_ln_beta", w("embeddings.LayerNorm.bias")),
            "attention_mask",
        ],
        ["embeddings", "mask_index", "embedding_sum"],
        domain=MS_DOMAIN,
        epsilon=eps,
        mask_index_type=1,
    )
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        n = f"layer{i}_"
        # HF stores Linear weights as [out, in]; MatMul wants [in, out].
        qkv_weight = np.concatenate(
            [w(p + f"attention.self.{k}.weight").T for k in ("query", "key", "value")], axis=1
        )
        qkv_bias = np.concatenate(
            [w(p + f"attention.self.{k}.bias") for k in ("query", "key", "value")]
        )
        (context,) = g.node(
            "Attention",
            [
                hidden,
                g.const(n + "qkv_weight", qkv_weight),
                g.const(n + "qkv_bias", qkv_bias),
                "mask_index",
            ],
            [n + "context"],
            domain=MS_DOMAIN,
            num_heads=config.heads,
        )
        (attn_out,) = g.node(
            "MatMul",
            [context, g.const(n + "attn_out_weight", w(p + "attention.output.dense.weight").T)],
            [n + "attn_out"],
        )
        (hidden,) = g.node(
            "SkipLayerNormalization",
            [
                attn_out,
                hidden,
                g.const(n + "attn_ln_gamma", w(p + "attention.output.LayerNorm.weight")),
                g.const(n + "attn_ln_beta", w(p + "attention.output.LayerNorm.bias")),
                g.const(n + "attn_out_bias", w(p + "attention.output.dense.bias")),
            ],
            [n + "attn_ln"],
            domain=MS_DOMAIN,
            epsilon=eps,
        )
        (ffn_in,) = g.node(
            "MatMul",
            [hidden, g.const(n + "ffn_in_weight", w(p + "intermediate.dense.weight").T)],
            [n + "ffn_in"],
        )
        (ffn_act,) = g.node(
            "BiasGelu",
            [ffn_in, g.const(n + "ffn_in_bias", w(p + "intermediate.dense.bias"))],
            [n + "ffn_act"],
            domain=MS_DOMAIN,
        )
        (ffn_out,) = g.node(
            "MatMul",
            [ffn_act, g.const(n + "ffn_out_weight", w(p + "output.dense.weight").T)],
            [n + "ffn_out"],
        )
        (hidden,) = g.node(
            "SkipLayerNormalization",
            [
                ffn_out,
                hidden,
                g.const(n + "ffn_ln_gamma", w(p + "output.LayerNorm.weight")),
                g.const(n + "ffn_ln_beta", w(p + "output.LayerNorm.bias")),
                g.const(n + "ffn_out_bias", w(p + "output.dense.bias")),
            ],
            [n + "ffn_ln"],
            domain=MS_DOMAIN,
            epsilon=eps,
        )
    _add_mean_pool_and_normalise(g, hidden)
    batch_seq = ["batch", "sequence"]
    graph = helper.make_graph(
        g.nodes,
        "minilm_encoder",
        [
            helper.make_tensor_value_info(name, TensorProto.INT32, batch_seq)
            for name in ("input_ids", "token_type_ids", "attention_mask")
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", config.hidden])],
        g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
        producer_name="prefmark",
        producer_version=BUILDER_VERSION,
        doc_string=doc,
    )
    model.ir_version = 8  # readable by onnxruntime releases back to 1.14
    return model


def _add_mean_pool_and_normalise(g: _GraphBuilder, hidden: str) -> None:
    """Masked mean over tokens as one batched MatMul ([b,1,s] @ [b,s,h]), then L2 normalise."""
    (mask_f,) = g.node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT)
    (mask_row,) = g.node(
        "Unsqueeze", [mask_f, g.const("axis1", np.array([1], np.int64))], ["mask_row"]
    )
    (summed,) = g.node("MatMul", [mask_row, hidden], ["token_sum3"])
    (summed2,) = g.node("Squeeze", [summed, "axis1"], ["token_sum"])
    (count,) = g.node("ReduceSum", [mask_f, "axis1"], ["token_count"], keepdims=1)
    (count_safe,) = g.node(
        "Max", [count, g.const("min_count", np.array(1e-9, np.float32))], ["token_count_safe"]
    )
    (mean,) = g.node("Div", [summed2, count_safe], ["mean_pooled"])
    (norm,) = g.node("ReduceL2", [mean], ["l2_norm"], axes=[1], keepdims=1)
    (norm_safe,) = g.node(
        "Max", [norm, g.const("min_norm", np.array(1e-12, np.float32))], ["l2_norm_safe"]
    )
    g.node("Div", [mean, norm_safe], ["embedding"])

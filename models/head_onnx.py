"""The preference head as an ONNX graph, so scoring runs entirely in onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.head import PreferenceHead

HEAD_OPSET = 17


def head_to_onnx(head: PreferenceHead) -> onnx.ModelProto:
    """features [n, D] -> member_rewards [n, K], reward [n] (mean), uncertainty [n] (std).

    The std is the population one (ddof=0), matching ``PreferenceHead.rewards``.
    """
    inits = [
        numpy_helper.from_array(np.ascontiguousarray(head.weights.T, dtype=np.float32), "head_w"),
        numpy_helper.from_array(head.bias.astype(np.float32), "head_b"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("MatMul", ["features", "head_w"], ["projected"]),
        helper.make_node("Add", ["projected", "head_b"], ["member_rewards"]),
        helper.make_node("ReduceMean", ["member_rewards"], ["mean2"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["member_rewards", "mean2"], ["centred"]),
        helper.make_node("Mul", ["centred", "centred"], ["squared"]),
        helper.make_node("ReduceMean", ["squared"], ["variance"], axes=[1], keepdims=0),
        helper.make_node("Sqrt", ["variance"], ["uncertainty"]),
        helper.make_node("Squeeze", ["mean2", "axis1"], ["reward"]),
    ]
    graph = helper.make_graph(
        nodes,
        "preference_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", head.n_features])],
        [
            helper.make_tensor_value_info("reward", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info("uncertainty", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info(
                "member_rewards", TensorProto.FLOAT, ["n", head.n_heads]
            ),
        ],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", HEAD_OPSET)],
        producer_name="prefmark",
        doc_string=head.version,
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model

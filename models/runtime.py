"""Building onnxruntime sessions with explicit threads and providers."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from models.errors import ModelContractError
from models.protocol import RuntimeOptions


def session_options(options: RuntimeOptions) -> ort.SessionOptions:
    """Sequential execution with a fixed intra-op pool: predictable CPU use beside the GUI."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.inter_op_num_threads = 1
    if options.intra_op_threads is not None:
        so.intra_op_num_threads = options.intra_op_threads
    so.log_severity_level = 3  # warnings about unused initializers are noise for users
    return so


def make_session(
    model: Path | bytes, options: RuntimeOptions | None = None
) -> ort.InferenceSession:
    """Open an ONNX model; any load failure becomes a ModelContractError naming the file."""
    options = options or RuntimeOptions()
    source = model if isinstance(model, bytes) else str(model)
    label = "<in-memory model>" if isinstance(model, bytes) else str(model)
    if isinstance(model, Path) and not model.is_file():
        raise ModelContractError(f"{label}: file not found")
    try:
        return ort.InferenceSession(
            source, sess_options=session_options(options), providers=options.providers
        )
    except Exception as exc:
        raise ModelContractError(f"{label}: onnxruntime cannot load it as a model: {exc}") from exc


def active_provider(options: RuntimeOptions | None = None) -> str:
    """The execution provider a session with ``options`` really runs on (onnxruntime drops a
    listed provider whose device or libraries are missing), from a one-node probe session."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return str(make_session(model.SerializeToString(), options).get_providers()[0])


def describe_runtime(options: RuntimeOptions | None = None) -> str:
    """``onnxruntime <version>, models run on <provider>``: what the version and About show."""
    return f"onnxruntime {ort.__version__}, models run on {active_provider(options)}"

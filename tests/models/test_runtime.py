"""Runtime options and the cheap import of the package."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper

from models import ModelContractError, RuntimeOptions
from models.paths import DATA_DIR_ENV, data_dir, model_cache_dir
from models.runtime import make_session


def test_headless_options_use_every_core_and_the_app_keeps_one_free() -> None:
    import os

    from labeler.workflows.models import runtime_options

    cores = os.cpu_count() or 1
    options = RuntimeOptions()
    assert options.intra_op_threads == cores
    assert options.providers[-1] == "CPUExecutionProvider"
    assert runtime_options().intra_op_threads == cores
    assert runtime_options(interactive=True).intra_op_threads == max(1, cores - 1)
    assert runtime_options(3, interactive=True).intra_op_threads == 3


def test_provider_selection_prefers_cuda_and_always_ends_with_cpu() -> None:
    import onnxruntime as ort

    from models.protocol import default_providers, select_providers
    from models.runtime import active_provider

    # Every provider this onnxruntime release knows (what a GPU build may list): CUDA first.
    every = select_providers(ort.get_all_providers())
    assert every[0] == "CUDAExecutionProvider"
    assert every[-1] == "CPUExecutionProvider"
    assert "TensorrtExecutionProvider" not in every  # not asked for: needs its own setup
    # What this machine's build has: the same rule, and the probe says which one runs.
    available = ort.get_available_providers()
    assert default_providers() == select_providers(available)
    assert select_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert active_provider(RuntimeOptions(intra_op_threads=1)) in available


def test_session_uses_the_requested_threads_and_provider() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    graph = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "neg", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    options = RuntimeOptions(intra_op_threads=1, providers=["CPUExecutionProvider"])
    session = make_session(model.SerializeToString(), options)
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert session.get_session_options().intra_op_num_threads == 1
    (out,) = session.run(None, {"x": np.array([1.0, -2.0], np.float32)})
    np.testing.assert_array_equal(out, [-1.0, 2.0])
    with pytest.raises(ModelContractError, match="in-memory model"):
        make_session(b"garbage", options)


def test_data_dir_follows_the_environment(
    isolated_data_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert data_dir() == isolated_data_dir
    assert model_cache_dir().is_dir()
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir().name == "prefmark"


def test_importing_the_package_does_not_load_onnxruntime() -> None:
    code = "import sys, models; print('onnxruntime' in sys.modules, models.ScoreRequest.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "ScoreRequest"]

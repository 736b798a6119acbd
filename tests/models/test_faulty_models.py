"""Scoring with a faulty model folder ends in one line, stores nothing wrong, stays cancellable.

Each model is a real ONNX graph run by onnxruntime: one giving NaN or infinite rewards, one
whose output shape is wrong only at run time, one asking for a huge allocation, one that never
ends; a config with an impossible ``pad_token_id``. A failed load or a first batch that fails
leaves no ``models`` row; Ctrl+C stops a graph that never ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tiny_bert import TinyFolder

from labeler.importers import import_files
from labeler.store import open_db
from labeler.workflows import WorkflowError, drive
from labeler.workflows.model_runs import score

ROOT = Path(__file__).resolve().parents[2]


def _graph(folder: Path, nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto]) -> None:
    """Replace the folder's model with ``nodes`` mapping ``input_ids`` to ``logits`` [batch, 1]."""
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])
    graph = helper.make_graph(nodes, "faulty", [ids], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))


def _constant_reward(folder: Path, value: float) -> None:
    """logits = sum(input_ids) * 0 + value: ``value`` for every sequence."""
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["f", "ax"], ["s"], keepdims=1),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["z", "value"], ["logits"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "ax"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array(value, np.float32), "value"),
    ]
    _graph(folder, nodes, inits)


def _huge_allocation(folder: Path) -> None:
    """Adds a tensor of 2**40 floats (4 TiB) to the reward."""
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["f", "ax"], ["s"], keepdims=1),
        helper.make_node("ConstantOfShape", ["huge"], ["big"]),
        helper.make_node("ReduceSum", ["big"], ["t"], keepdims=0),
        helper.make_node("Add", ["s", "t"], ["logits"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "ax"),
        numpy_helper.from_array(np.array([2**40], np.int64), "huge"),
    ]
    _graph(folder, nodes, inits)


def _never_ends(folder: Path) -> None:
    """A Loop of 2**62 iterations around the reward."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["acc_in", "one"], ["acc_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, None),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, None),
        ],
        [numpy_helper.from_array(np.array(0.0, np.float32), "one")],
    )
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["f", "ax"], ["s"], keepdims=1),
        helper.make_node("Loop", ["trips", "cond", "s"], ["logits"], body=body),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "ax"),
        numpy_helper.from_array(np.array(2**62, np.int64), "trips"),
        numpy_helper.from_array(np.array(True), "cond"),
    ]
    _graph(folder, nodes, inits)


def _wrong_shape(folder: Path) -> None:
    """One logit per token, not per sequence: found only at run time."""
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence"])
    node = helper.make_node("Cast", ["input_ids"], ["logits"], to=TensorProto.FLOAT)
    model = helper.make_model(
        helper.make_graph([node], "wide", [ids], [out]),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    data = tmp_path / "items.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": f"what is {i}", "responses": ["the cat", "a dog"]}) + "\n"
            for i in range(5)
        )
    )
    db = open_db(path)
    import_files(db, [data])
    db.conn.close()
    return path


def _score(project: Path, folder: Path) -> str:
    """The one-line error of scoring ``project`` with ``folder``; checks nothing was stored."""
    db = open_db(project)
    try:
        with pytest.raises(WorkflowError) as err:
            drive(score(db, model=str(folder), batch_size=2))
        counts = db.conn.execute(
            "SELECT (SELECT count(*) FROM models), (SELECT count(*) FROM scores)"
        ).fetchone()
    finally:
        db.conn.close()
    assert counts == (0, 0)
    assert "\n" not in err.value.message
    return err.value.message


@pytest.mark.parametrize(
    ("value", "shown"), [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")]
)
def test_non_finite_rewards_are_refused(
    project: Path, tiny_reward_folder: TinyFolder, value: float, shown: str
) -> None:
    folder, _ = tiny_reward_folder()
    _constant_reward(folder, value)
    message = _score(project, folder)
    assert "non-finite reward" in message
    assert shown in message


def test_wrong_shape_at_run_time_and_huge_allocation_are_one_line(
    project: Path, tiny_reward_folder: TinyFolder
) -> None:
    folder, _ = tiny_reward_folder()
    _wrong_shape(folder)
    assert "one logit per sequence" in _score(project, folder)
    _huge_allocation(folder)
    assert "the model failed while scoring" in _score(project, folder)


def test_an_impossible_pad_token_is_refused_at_load(
    project: Path, tiny_reward_folder: TinyFolder
) -> None:
    folder, _ = tiny_reward_folder(config={"pad_token_id": 10**20})
    assert "pad_token_id 100000000000000000000 is not a token id" in _score(project, folder)


def _wait_until_open(pid: int, path: Path) -> None:
    """Until process ``pid`` has ``path`` open (or 120 s have passed on a busy machine)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fds = Path(f"/proc/{pid}/fd")
        try:
            if any(os.readlink(fd) == str(path) for fd in fds.iterdir()):
                return
        except OSError:  # a descriptor closed while being read
            pass
        time.sleep(0.2)


def test_ctrl_c_stops_a_model_that_never_ends(
    project: Path, tiny_reward_folder: TinyFolder
) -> None:
    folder, _ = tiny_reward_folder()
    _never_ends(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler.cli", "score", str(project), "--model", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _wait_until_open(proc.pid, project)  # the command runs: the model loads, then loops
    time.sleep(2)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("Ctrl+C did not stop the scoring")
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert err.strip() == "Interrupted: the batches already scored are kept."

"""Reward models over onnxruntime: any ONNX reward model folder, and the built-in default.

Importing this package is cheap; onnxruntime is loaded by the modules that run sessions.
"""

from models.errors import ModelContractError
from models.protocol import RewardModel, RuntimeOptions, ScoreRequest, ScoreResult

__all__ = [
    "DefaultRewardModel",
    "MiniLMEncoder",
    "ModelContractError",
    "OnnxRewardModel",
    "PreferenceHead",
    "RewardModel",
    "RuntimeOptions",
    "ScoreRequest",
    "ScoreResult",
    "fit_head",
    "head_to_onnx",
    "load_default_encoder",
    "train_default_model",
]


def __getattr__(name: str) -> object:
    """Load the onnxruntime-backed parts on first access (keeps ``import models`` fast)."""
    lazy = {
        "DefaultRewardModel": "models.default_model",
        "load_default_encoder": "models.default_model",
        "train_default_model": "models.default_model",
        "MiniLMEncoder": "models.encoder",
        "OnnxRewardModel": "models.onnx_reward",
        "PreferenceHead": "models.head",
        "fit_head": "models.head",
        "head_to_onnx": "models.head_onnx",
    }
    if name not in lazy:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(lazy[name]), name)

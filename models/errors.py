"""Errors raised by the model runtimes."""

from __future__ import annotations


class ModelContractError(ValueError):
    """A model folder or file does not meet the contract a runtime needs.

    Raised at load time (missing file, not ONNX, unexpected inputs, outputs or dtypes) so a bad
    file is refused with a message that names the file and the problem, instead of failing later
    inside onnxruntime.
    """

"""Dynamic int8 quantisation of the encoder graph with onnxruntime's quantiser.

Per-tensor int8 (the quantiser's default) moves some embeddings far from fp32: one scale per
weight matrix cannot fit the few large-magnitude output channels of MiniLM's projections. One
scale per output channel (``per_channel``) keeps every check pair above 0.98 cosine to fp32 at
nearly the same speed. Weights use 7 bits (``reduce_range``) because 8-bit weights times 8-bit
activations can saturate the int16 accumulators of AVX2 CPUs without VNNI, which would make the
result depend on the user's processor. The embedding table and the pooling stay in fp32.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import onnx

# Bump when the settings below change, so cached int8 graphs are rebuilt.
QUANTIZER_VERSION = "1"
QUANTIZED_OPS = ("MatMul", "Attention")
# The pooling MatMul multiplies two activations (mask x token states): no weight to quantise.
FP32_NODES = ("token_sum3_node",)


def quantize_encoder(
    fp32_path: Path, *, per_channel: bool = True, reduce_range: bool = True
) -> bytes:
    """Serialized int8 model of the fp32 encoder graph at ``fp32_path``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            os.fspath(fp32_path),
            os.fspath(out),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            nodes_to_exclude=list(FP32_NODES),
            per_channel=per_channel,
            reduce_range=reduce_range,
            # Shape inference cannot type the outputs of com.microsoft ops; they are all float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return out.read_bytes()

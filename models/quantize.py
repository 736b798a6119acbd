"""Dynamic int8 quantisation of the encoder graph with onnxruntime's quantiser.

What was measured on the PandaLM pairs (cosine to fp32 embeddings; pairwise accuracy of a head on
the pair embedding, 5-fold CV averaged over 6 fold splits; fp32: 79.3% / 78.0% at l2 0.003 /
0.01):

- per-tensor weights (the quantiser's default): min cosine 0.88; with 7-bit weights 0.59;
- per-channel, every MatMul and the attention projections (QAttention): min 0.984, 76.8% / 76.2%;
- per-channel, the weight MatMuls only (attention stays fp32): min 0.979, 78.1% / 77.2%, and the
  fastest of the accurate variants (about 2x the fp32 graph at one thread).

So: one scale per output channel (a single scale per matrix cannot fit MiniLM's few large output
channels), weight MatMuls only. ``Attention`` stays fp32: its packed QKV input is a LayerNorm
output with outlier features that per-tensor activation quantisation handles badly. The
embedding table and the pooling stay fp32.

7-bit weights (``reduce_range``) cost about a point of accuracy, but x86 CPUs without VNNI
multiply int8 with an instruction that can saturate, so they are used only there.
"""

from __future__ import annotations

import logging
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import onnx

# Bump when the settings below, or how the graph is run, change, so cached int8 graphs (and the
# embeddings projects cached under their version) are not mixed with new ones. 3: the graph runs
# one sequence at a time (see ``load_default_encoder``).
QUANTIZER_VERSION = "3"
QUANTIZED_OPS = ("MatMul",)
# The pooling MatMul multiplies two activations (mask x token states): no weight to quantise.
FP32_NODES = ("token_sum3_node",)


def cpu_has_vnni() -> bool:
    """True where the CPU reports AVX-512 VNNI or AVX-VNNI (Linux /proc/cpuinfo only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def needs_reduce_range() -> bool:
    """7-bit weights on x86 without (detectable) VNNI, where u8 x s8 products can saturate."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return False
    return not cpu_has_vnni()


# onnxruntime's quantiser logs this on the root logger for every graph it is given. The settings
# above were measured as the graph is quantised here, without that pre-processing, so on the
# user's terminal the advice is noise.
PREPROCESS_ADVICE = "Please consider to run pre-processing before quantization"


class _DropAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(PREPROCESS_ADVICE)


@contextmanager
def _without_preprocess_advice() -> Iterator[None]:
    """Silence that one known warning (nothing else) while the quantiser runs."""
    root = logging.getLogger()
    advice = _DropAdvice()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


def quantize_encoder(
    fp32_path: Path, *, per_channel: bool = True, reduce_range: bool | None = None
) -> bytes:
    """Serialized int8 model of the fp32 encoder graph at ``fp32_path``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if reduce_range is None:
        reduce_range = needs_reduce_range()
    with tempfile.TemporaryDirectory() as tmp, _without_preprocess_advice():
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

